// The inbound workload: webhooks, each a distinct event, in a fixed mix of text messages, media
// messages and delivery statuses of outbound messages stored beforehand (echoes). Meta's are
// signed; Evolution API v2's are the same events in its own shapes.
import { createHmac } from "node:crypto";
import { envelope as metaEnvelope } from "../../tools/meta-payloads.mjs";
import { envelope as evolutionEnvelope, evolutionEcho, evolutionStatus, evolutionText } from "../../tools/evolution-payloads.mjs";

const MIX = ["text", "text", "text", "text", "text", "text", "text", "image", "image", "status", "status", "status"];
// Echoes are seeding, not measured: few webhooks for many of them.
const ECHOES_PER_WEBHOOK = 50;

const contactOf = (i) => `55119${String(10_000_000 + (i % 250)).slice(-8)}`;
const seconds = () => String(Math.floor(Date.now() / 1000));
const range = (start, end) => Array.from({ length: end - start }, (_, k) => start + k);

/**
 * `count` distinct events for one channel, each body written by `write[kind](i)`; a status's `i`
 * is the echo it is about, and `write.echoes(indexes)` writes one webhook storing those echoes.
 * Returns the bodies, the echo webhooks to post first, and what storing the bodies exactly once
 * must produce: `messages` new rows and `statuses` echoes moved to delivered.
 */
function mixed(count, write) {
  const bodies = [];
  let messages = 0;
  let statuses = 0;
  for (let i = 0; i < count; i++) {
    const kind = MIX[i % MIX.length];
    if (kind === "status") {
      bodies.push(write.status(statuses));
      statuses += 1;
    } else {
      bodies.push(write[kind](i));
      messages += 1;
    }
  }
  const echoes = [];
  for (let start = 0; start < statuses; start += ECHOES_PER_WEBHOOK) {
    echoes.push(write.echoes(range(start, Math.min(statuses, start + ECHOES_PER_WEBHOOK))));
  }
  return { bodies, echoes, messages, statuses };
}

/**
 * Meta's Cloud API webhooks for the phone number `phoneNumberId`. Each image names its own media
 * id (`imageId(label, i)`), declared with `imageSha256`: the photo the bench's Graph emulator
 * serves for every id, so that media-fetch copies each one as it would in production.
 */
export const imageId = (label, i) => `IMG${label}N${i}`;

export function metaWorkload(phoneNumberId, label, count, imageSha256) {
  const body = (value, field) => JSON.stringify(metaEnvelope(value, phoneNumberId, field));
  const inbound = (i, content) => {
    const from = contactOf(i);
    const message = { from, id: `wamid.${label}.IN${i}`, timestamp: seconds(), ...content };
    return body({ contacts: [{ profile: { name: `Cliente ${i % 250}` }, wa_id: from }], messages: [message] });
  };
  const echoId = (i) => `wamid.${label}.ECHO${i}`;
  return mixed(count, {
    text: (i) => inbound(i, { type: "text", text: { body: `Olá, pedido ${i}: quando chega?` } }),
    image: (i) => inbound(i, { type: "image", image: { mime_type: "image/jpeg", sha256: imageSha256, id: imageId(label, i), caption: `Foto ${i}` } }),
    status: (i) => body({ statuses: [{ id: echoId(i), status: "delivered", timestamp: seconds(), recipient_id: contactOf(i),
      conversation: { id: "c1", origin: { type: "service" } }, pricing: { billable: true, pricing_model: "CBP", category: "service" } }] }),
    echoes: (indexes) => body({ message_echoes: indexes.map((i) => (
      { from: "15550783881", to: contactOf(i), id: echoId(i), timestamp: seconds(), type: "text", text: { body: `Pedido ${i} confirmado` } })) }, "smb_message_echoes"),
  });
}

/**
 * Evolution API v2's webhooks for the instance and api key of tools/evolution-payloads.mjs:
 * `messages.upsert` for what contacts write, `messages.update` (DELIVERY_ACK) for statuses, and
 * `send.message` echoes with `data` as an array, which the adapter takes as a batch.
 */
export function evolutionWorkload(label, count) {
  const body = (payload) => JSON.stringify(payload);
  const inbound = (i) => evolutionText({ from: contactOf(i), name: `Cliente ${i % 250}`, id: `3EB0${label}IN${i}`, body: `Olá, pedido ${i}: quando chega?` });
  const echoId = (i) => `BAE5${label}ECHO${i}`;
  return mixed(count, {
    text: (i) => body(inbound(i)),
    image: (i) => {
      // An inbound record whose content is an image (the builders write only texts that way).
      const payload = inbound(i);
      payload.data.message = { imageMessage: { url: `https://mmg.whatsapp.net/o1/v/t62.7118-24/f1/m231/${label}-${i}.enc`, mimetype: "image/jpeg", caption: `Foto ${i}` } };
      payload.data.messageType = "imageMessage";
      return body(payload);
    },
    status: (i) => body(evolutionStatus({ id: echoId(i), status: "delivered", to: contactOf(i) })),
    echoes: (indexes) => body(evolutionEnvelope("send.message",
      indexes.map((i) => evolutionEcho({ to: contactOf(i), id: echoId(i), body: `Pedido ${i} confirmado` }).data))),
  });
}

export function sign(appSecret, body) {
  return `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
}
