// The inbound workload: signed Meta webhooks, each a distinct event, in a fixed mix of text
// messages, media messages and delivery statuses of messages stored beforehand.
import { createHmac } from "node:crypto";
import { envelope } from "../../tools/meta-payloads.mjs";

const MIX = ["text", "text", "text", "text", "text", "text", "text", "image", "image", "status", "status", "status"];

const contactOf = (i) => `55119${String(10_000_000 + (i % 250)).slice(-8)}`;
const seconds = () => String(Math.floor(Date.now() / 1000));

/** Outbound messages (echoes) whose statuses the run will deliver: `per` per webhook. */
export function echoWebhooks(phoneNumberId, label, count, per = 50) {
  const bodies = [];
  for (let start = 0; start < count; start += per) {
    const echoes = [];
    for (let i = start; i < Math.min(count, start + per); i++) {
      echoes.push({ from: "15550783881", to: contactOf(i), id: `wamid.${label}.ECHO${i}`, timestamp: seconds(), type: "text", text: { body: `Pedido ${i} confirmado` } });
    }
    bodies.push(JSON.stringify(envelope({ message_echoes: echoes }, phoneNumberId, "smb_message_echoes")));
  }
  return bodies;
}

/**
 * `count` distinct events for one channel. Returns the raw bodies and what storing them exactly
 * once must produce: `messages` new rows and `statuses` echoes moved to delivered.
 */
export function inboundWorkload(phoneNumberId, label, count) {
  const bodies = [];
  let messages = 0;
  let statuses = 0;
  for (let i = 0; i < count; i++) {
    const kind = MIX[i % MIX.length];
    const from = contactOf(i);
    let value;
    if (kind === "status") {
      value = { statuses: [{ id: `wamid.${label}.ECHO${statuses}`, status: "delivered", timestamp: seconds(), recipient_id: contactOf(statuses),
        conversation: { id: "c1", origin: { type: "service" } }, pricing: { billable: true, pricing_model: "CBP", category: "service" } }] };
      statuses += 1;
    } else {
      const message = { from, id: `wamid.${label}.IN${i}`, timestamp: seconds(), type: kind };
      if (kind === "text") message.text = { body: `Olá, pedido ${i}: quando chega?` };
      else message.image = { mime_type: "image/jpeg", sha256: "5a7b9c0d1e2f", id: `${1_000_000 + i}`, caption: `Foto ${i}` };
      value = { contacts: [{ profile: { name: `Cliente ${i % 250}` }, wa_id: from }], messages: [message] };
      messages += 1;
    }
    bodies.push(JSON.stringify(envelope(value, phoneNumberId)));
  }
  return { bodies, messages, statuses };
}

export function sign(appSecret, body) {
  return `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
}
