// Evolution API v2 end to end: the gateway suite (tests/e2e/gateways.mjs) against a local
// Evolution emulator, plus what only Evolution has: the body's `apikey`, webhook-by-events URLs
// and `messages.delete`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allMessages, call } from "./harness.mjs";
import { answers, startEvolution } from "../../tools/evolution-emulator.mjs";
import {
  API_KEY, INSTANCE, envelope, evolutionConnection, evolutionDelete, evolutionEcho, evolutionGroupText, evolutionQr,
  evolutionStatus, evolutionText,
} from "../../tools/evolution-payloads.mjs";
import { gatewaySuite } from "./gateways.mjs";

const SEND_PATH = new RegExp(`^/message/send(Text|Media|Sticker|Location|Reaction)/${INSTANCE}$`);

const suite = gatewaySuite({
  name: "evolution",
  start: () => startEvolution(),
  channel: (emulator, { includeGroups }) => ({
    config: { base_url: emulator.baseUrl, instance: INSTANCE, ...(includeGroups ? { include_groups: true } : {}) },
    secrets: { api_key: API_KEY },
  }),
  inbound: ({ from, id, body, ts }) => evolutionText({ from, id, body, ts }),
  echo: ({ to, id, body }) => evolutionEcho({ to, id, body, event: "messages.upsert" }),
  status: ({ id, status, to }) => evolutionStatus({ id, status, to }),
  group: () => evolutionGroupText({}),
  connected: () => evolutionConnection({ state: "open" }),
  qr: () => evolutionQr(),
  deleted: ({ id, to }) => evolutionDelete({ id, to }),
  inboundId: (payload) => payload.data.key.id,
  wrongCredential: (payload) => ({ ...payload, apikey: "0123456789ABCDEF0123456789ABCDEF" }),
  sends: (emulator) => emulator.calls.filter((c) => SEND_PATH.test(c.path)),
  expectCredential: (made) => assert.equal(made.headers.apikey, API_KEY, "the instance's key in its header"),
  markRead: {
    path: `/chat/markMessageAsRead/${INSTANCE}`,
    body: ({ to, inbound }) => ({ readMessages: [{ remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: inbound.provider_message_id }] }),
  },
  expectSend(made, kind, { to, inbound, body }) {
    assert.equal(made.method, "POST");
    assert.equal(made.headers.apikey, API_KEY, "the instance's key in its header");
    const expected = {
      text: ["sendText", { number: to, text: "Olá!", linkPreview: false }],
      reply: ["sendText", { number: to, text: "Respondendo", linkPreview: false,
        quoted: { key: { remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: inbound.provider_message_id }, message: { conversation: "Oi" } } }],
      image: ["sendMedia", { number: to, mediatype: "image", media: body.image?.link, caption: "Seu pedido" }],
      sticker: ["sendSticker", { number: to, sticker: body.sticker?.link }],
      location: ["sendLocation", { number: to, latitude: -23.5617, longitude: -46.6559, name: "Loja", address: "Av. Paulista, 1000" }],
      reaction: ["sendReaction", { key: { remoteJid: `${to}@s.whatsapp.net`, fromMe: false, id: inbound.provider_message_id }, reaction: "👍" }],
    }[kind];
    assert.equal(made.path, `/message/${expected[0]}/${INSTANCE}`, kind);
    assert.deepEqual(made.body, expected[1], kind);
  },
  script: (emulator, to, kind) =>
    emulator.script(to, kind === "transient" ? answers.serverError() : answers.notOnWhatsApp(to)),
  permanentReason: /not on WhatsApp/,
  follow: (emulator, webhookUrl, options) => emulator.follow(webhookUrl, options),
  offerQr: (emulator) => emulator.setState(INSTANCE, "close"),
});

describe("evolution: its own", () => {
  test("webhook by events: the event's name after the token reaches the same channel", async () => {
    const s = await suite.setup();
    const res = await suite.post(s, evolutionText({ from: suite.nextNumber() }), "/messages-upsert");
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.messages, 1);
  });

  test("a hidden credential (apikey null) is accepted: the URL token authenticates", async () => {
    const s = await suite.setup();
    const res = await suite.post(s, evolutionText({ from: suite.nextNumber(), apikey: null }));
    assert.equal(res.status, 200, res.text);
    assert.equal((await allMessages(suite.ponte(), s.key)).length, 1);
  });

  test("another instance's events on the same URL are accepted and ignored", async () => {
    const s = await suite.setup();
    const res = await suite.post(s, evolutionText({ from: suite.nextNumber(), instance: "outra-loja" }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.json.messages, res.json.ignored], [0, 1]);
  });

  test("a body that is not JSON is 200 (a retry would read no better) and logged as unprocessable", async () => {
    const s = await suite.setup();
    const res = await suite.post(s, "{not json");
    assert.equal(res.status, 200);
    assert.match(res.json.unprocessable, /JSON/);
  });

  test("the address book (contacts.update) gives known contacts their pictures and creates no one", async () => {
    const s = await suite.setup();
    const known = suite.nextNumber();
    const stranger = suite.nextNumber();
    assert.equal((await suite.post(s, evolutionText({ from: known }))).status, 200);
    const picture = `https://pps.whatsapp.net/v/t61.24694-24/${known}_n.jpg?oe=685A1B2C`;
    const book = envelope("contacts.update", [
      { remoteJid: `${known}@s.whatsapp.net`, pushName: "Giovanna", profilePicUrl: picture, instanceId: "i" },
      { remoteJid: `${stranger}@s.whatsapp.net`, pushName: stranger, profilePicUrl: `${picture}&x=2`, instanceId: "i" },
    ]);
    const res = await suite.post(s, book);
    assert.equal(res.status, 200, res.text);
    const contacts = (await call(suite.ponte(), "GET", "/v1/contacts", { key: s.key })).json.data;
    assert.equal(contacts.length, 1, "the stranger in the address book is not a contact");
    assert.equal(contacts[0].avatar_url, picture);
    const [conversation] = (await call(suite.ponte(), "GET", "/v1/conversations", { key: s.key })).json.data;
    assert.equal(conversation.contact.avatar_url, picture);
  });
});
