// Z-API end to end: the gateway suite (tests/e2e/gateways.mjs) against a local Z-API emulator,
// plus what only Z-API has: its on-message-send webhook.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CLIENT_TOKEN, INSTANCE_TOKEN, answers, startZApi } from "../../tools/zapi-emulator.mjs";
import {
  INSTANCE_ID, zapiConnected, zapiDelivery, zapiEcho, zapiGroupText, zapiStatus, zapiText,
} from "../../tools/zapi-payloads.mjs";
import { call } from "./harness.mjs";
import { gatewaySuite } from "./gateways.mjs";

const PREFIX = `/instances/${INSTANCE_ID}/token/${INSTANCE_TOKEN}/`;
const SENDS = /\/send-(text|image|sticker|video|audio|document\/\w+|location|reaction|remove-reaction)$/;

const suite = gatewaySuite({
  name: "zapi",
  start: () => startZApi(),
  channel: (emulator, { includeGroups }) => ({
    config: { base_url: emulator.baseUrl, instance_id: INSTANCE_ID, ...(includeGroups ? { include_groups: true } : {}) },
    secrets: { instance_token: INSTANCE_TOKEN, client_token: CLIENT_TOKEN },
  }),
  inbound: ({ from, id, body, ts }) => zapiText({ phone: from, id, text: body, ts }),
  echo: ({ to, id, body }) => zapiEcho({ phone: to, id, content: { text: { message: body } }, fromApi: false }),
  status: ({ id, status, to }) => zapiStatus({ id, status, phone: to }),
  group: () => zapiGroupText({}),
  connected: () => zapiConnected(),
  // Z-API posts no QR code; the connect call is where one comes from.
  qr: () => null,
  deleted: null,
  inboundId: (payload) => payload.messageId,
  wrongCredential: () => null,
  sends: (emulator) => emulator.calls.filter((c) => SENDS.test(c.path)),
  expectCredential: (made) => assert.equal(made.headers["client-token"], CLIENT_TOKEN),
  markRead: { path: `${PREFIX}read-message`, body: ({ to, inbound }) => ({ phone: to, messageId: inbound.provider_message_id }) },
  expectSend(made, kind, { to, inbound, body }) {
    assert.equal(made.method, "POST");
    assert.equal(made.headers["client-token"], CLIENT_TOKEN, "the account's token in its header");
    const expected = {
      text: ["send-text", { phone: to, message: "Olá!" }],
      reply: ["send-text", { phone: to, message: "Respondendo", messageId: inbound.provider_message_id }],
      image: ["send-image", { phone: to, image: body.image?.link, caption: "Seu pedido" }],
      sticker: ["send-sticker", { phone: to, sticker: body.sticker?.link }],
      location: ["send-location", { phone: to, title: "Loja", address: "Av. Paulista, 1000", latitude: "-23.5617", longitude: "-46.6559" }],
      reaction: ["send-reaction", { phone: to, reaction: "👍", messageId: inbound.provider_message_id }],
    }[kind];
    assert.equal(made.path, `${PREFIX}${expected[0]}`, kind);
    assert.deepEqual(made.body, expected[1], kind);
  },
  script: (emulator, to, kind) =>
    emulator.script(to, kind === "transient" ? answers.serverError() : answers.badRequest("Invalid phone")),
  permanentReason: /Invalid phone/,
  follow: (emulator, webhookUrl, options) => emulator.follow(webhookUrl, options),
  offerQr: (emulator) => emulator.setConnected(false),
});

describe("zapi: its own", () => {
  test("the on-message-send webhook marks a send sent, or failed with Z-API's error", async () => {
    const s = await suite.setup();
    const to = suite.nextNumber();
    const echo = zapiEcho({ phone: to, content: { text: { message: "Do celular" } }, fromApi: false });
    await suite.post(s, echo);
    const other = zapiEcho({ phone: to, content: { text: { message: "Outra" } }, fromApi: false });
    await suite.post(s, other);
    assert.equal((await suite.post(s, zapiDelivery({ id: echo.messageId, phone: to }))).status, 200);
    assert.equal((await suite.post(s, zapiDelivery({ id: other.messageId, phone: to, error: "Number not on WhatsApp" }))).status, 200);
    const { json } = await call(suite.ponte(), "GET", "/v1/conversations", { key: s.key });
    const { json: page } = await call(suite.ponte(), "GET", `/v1/conversations/${json.data[0].id}/messages`, { key: s.key });
    const byText = Object.fromEntries(page.data.map((m) => [m.text, m]));
    assert.equal(byText["Do celular"].status, "sent");
    assert.equal(byText["Outra"].status, "failed");
    assert.match(byText["Outra"].error.title, /Number not on WhatsApp/);
  });

  test("the contact's picture (Z-API's photo) shows on the contact and its conversation; a newer link replaces it", async () => {
    const s = await suite.setup();
    const from = suite.nextNumber();
    const picture = (n) => `https://pps.whatsapp.net/v/t61.24694-24/${from}-${n}.jpg?oe=6A1B2C3D`;
    assert.equal((await suite.post(s, { ...zapiText({ phone: from, text: "Oi" }), photo: picture(1) })).status, 200);
    const conversations = async () => (await call(suite.ponte(), "GET", "/v1/conversations", { key: s.key })).json.data;
    const [conversation] = await conversations();
    assert.equal(conversation.contact.avatar_url, picture(1));
    const contact = async () => (await call(suite.ponte(), "GET", `/v1/contacts/${conversation.contact.id}`, { key: s.key })).json;
    assert.equal((await contact()).avatar_url, picture(1));
    await suite.post(s, { ...zapiText({ phone: from, text: "Mudei a foto" }), photo: picture(2) });
    assert.equal((await contact()).avatar_url, picture(2));
    // A message without a picture, or with something that is no web link, keeps the one known.
    await suite.post(s, { ...zapiText({ phone: from, text: "Sem foto" }), photo: "javascript:alert(1)" });
    await suite.post(s, zapiText({ phone: from, text: "Nada" }));
    assert.equal((await contact()).avatar_url, picture(2));
    assert.equal((await conversations())[0].contact.avatar_url, picture(2));
  });
});
