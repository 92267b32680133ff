// WPPConnect Server end to end: the gateway suite (tests/e2e/gateways.mjs) against a local
// WPPConnect emulator.
import assert from "node:assert/strict";
import { answers, startWppConnect } from "../../tools/wppconnect-emulator.mjs";
import {
  SESSION, wppAck, wppEcho, wppGroupText, wppQrCode, wppStatusFind, wppText,
} from "../../tools/wppconnect-payloads.mjs";
import { gatewaySuite } from "./gateways.mjs";

const TOKEN = "wpp-test-token";
const SENDS = new RegExp(`^/api/${SESSION}/(send-message|send-image|send-file|send-voice|send-sticker|send-location|react-message)$`);
const recipient = (to) => ({ phone: to, isGroup: false, isNewsletter: false, isLid: false });

gatewaySuite({
  name: "wppconnect",
  start: () => startWppConnect({ session: SESSION, token: TOKEN }),
  channel: (emulator, { includeGroups }) => ({
    config: { base_url: emulator.baseUrl, session: SESSION, ...(includeGroups ? { include_groups: true } : {}) },
    secrets: { token: TOKEN },
  }),
  inbound: ({ from, id, body, ts }) => wppText({ from, id, body, ts }),
  echo: ({ to, id, body }) => wppEcho({ to, id, body }),
  status: ({ id, status, to }) => wppAck({ id, status, to }),
  group: () => wppGroupText({}),
  connected: () => wppStatusFind("inChat"),
  qr: () => wppQrCode(),
  deleted: null,
  inboundId: (payload) => (typeof payload.id === "string" ? payload.id : payload.id._serialized),
  wrongCredential: () => null,
  sends: (emulator) => emulator.calls.filter((c) => SENDS.test(c.path)),
  expectCredential: (made) => assert.equal(made.headers.authorization, `Bearer ${TOKEN}`),
  markRead: { path: `/api/${SESSION}/send-seen`, body: ({ to }) => recipient(to) },
  expectSend(made, kind, { to, inbound, body }) {
    assert.equal(made.method, "POST");
    assert.equal(made.headers.authorization, `Bearer ${TOKEN}`, "the session's token as a bearer");
    const expected = {
      text: ["send-message", { ...recipient(to), message: "Olá!" }],
      reply: ["send-message", { ...recipient(to), message: "Respondendo", options: { quotedMsg: inbound.provider_message_id } }],
      image: ["send-image", { ...recipient(to), caption: "Seu pedido", path: body.image?.link }],
      sticker: ["send-sticker", { ...recipient(to), path: body.sticker?.link }],
      location: ["send-location", { ...recipient(to), lat: "-23.5617", lng: "-46.6559", title: "Loja", address: "Av. Paulista, 1000" }],
      reaction: ["react-message", { msgId: inbound.provider_message_id, reaction: "👍" }],
    }[kind];
    assert.equal(made.path, `/api/${SESSION}/${expected[0]}`, kind);
    assert.deepEqual(made.body, expected[1], kind);
  },
  script: (emulator, to, kind) =>
    emulator.script(to, kind === "transient" ? answers.rateLimited("1") : answers.numberNotFound(to)),
  permanentReason: /não existe/,
  follow: (emulator, webhookUrl, options) => emulator.follow(webhookUrl, options),
  offerQr: (emulator) => emulator.setState(SESSION, "CLOSED"),
});
