// Sending end to end: POST /v1/messages through the real Workers to a local Graph API emulator,
// statuses back by webhook and on the inbox's WebSocket; retries, the dead letter queue,
// idempotency, the 24-hour window, every send type's body, read receipts, conversation status.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  call, createMetaChannel, createTenant, openSocket, postWebhook, startPonte,
} from "./harness.mjs";
import { answers, startGraph } from "../../tools/graph-emulator.mjs";
import { metaStatus, metaText } from "../../tools/meta-payloads.mjs";

const MAX_ATTEMPTS = 3;
let ponte;
let graph;
let phoneIds = 0;
before(async () => {
  graph = await startGraph();
  // A short backoff keeps the retry tests quick; the policy is the production one.
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: MAX_ATTEMPTS, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
});
after(async () => {
  ponte?.stop();
  await graph?.stop();
});

/** A tenant whose channel talks to the emulator, with a contact who has just written. */
async function setup({ from = "5511987654321", writtenAgoMs = 60_000, graphBaseUrl = graph.baseUrl } = {}) {
  const tenant = await createTenant(ponte);
  const phoneNumberId = `1002003000${String(++phoneIds).padStart(5, "0")}`;
  const accessToken = `EAAG-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl });
  const inboundId = `wamid.IN${phoneNumberId}`;
  const res = await postWebhook(ponte, channel, metaText({ from, id: inboundId, ts: Date.now() - writtenAgoMs, phoneNumberId }));
  assert.equal(res.status, 200, res.text);
  const conversations = (await call(ponte, "GET", "/v1/conversations", { key: tenant.api_key })).json.data;
  return { key: tenant.api_key, channel, phoneNumberId, conversation: conversations[0], inboundId, from };
}

const send = (key, body, headers = {}) => call(ponte, "POST", "/v1/messages", { key, body, headers });
const text = (conversation, body = "Olá") => ({ conversation_id: conversation.id, type: "text", text: { body } });
const statusesOf = (socket, id) => socket.frames
  .filter((f) => (f.type === "message.created" || f.type === "message.updated") && f.message.id === id)
  .map((f) => f.message.status);

describe("a text send", () => {
  test("reaches the emulator as Meta documents it, then sent → delivered → read arrive once each, in order", async () => {
    const s = await setup();
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Seu pedido saiu"));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, "sent");
    assert.match(res.json.provider_message_id, /^wamid\.EMU/);
    assert.equal(res.json.direction, "outbound");

    const [callMade] = graph.calls.filter((c) => c.path === `/v23.0/${s.phoneNumberId}/messages`);
    assert.equal(callMade.authorization, `Bearer EAAG-${s.phoneNumberId}`);
    assert.deepEqual(callMade.body, {
      messaging_product: "whatsapp", recipient_type: "individual", to: s.from,
      type: "text", text: { preview_url: false, body: "Seu pedido saiu" },
    });

    const wamid = res.json.provider_message_id;
    const created = await socket.next((f) => f.type === "message.created" && f.message.id === res.json.id);
    assert.equal(created.conversation.id, s.conversation.id);
    assert.equal(created.conversation.last_message.id, res.json.id, "the event carries the conversation after the send");
    for (const status of ["sent", "delivered", "delivered", "read"]) {
      const hook = await postWebhook(ponte, s.channel, metaStatus({ id: wamid, status, recipient: s.from, phoneNumberId: s.phoneNumberId }));
      assert.equal(hook.status, 200, hook.text);
    }
    await socket.next((f) => f.type === "message.updated" && f.message.status === "read");
    await postWebhook(ponte, s.channel, metaText({ id: "wamid.FENCE", from: s.from, phoneNumberId: s.phoneNumberId }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.FENCE");
    assert.deepEqual(statusesOf(socket, res.json.id), ["queued", "sent", "delivered", "read"]);
    const seqs = socket.events().map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "events are numbered in the order they arrive");
    const stored = await call(ponte, "GET", `/v1/messages/${res.json.id}`, { key: s.key });
    assert.equal(stored.json.status, "read");
    socket.close();
  });

  test("the emulator can play the phone: it answers a send with signed status webhooks (as `npm start` uses it)", async () => {
    const s = await setup({ from: "5511900000911" });
    graph.followWithStatuses(s.phoneNumberId, `${ponte.base}${s.channel.path}`, s.channel.appSecret);
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Loop completo"));
    assert.equal(res.status, 201, res.text);
    await socket.next((f) => f.type === "message.updated" && f.message.status === "read", 10_000);
    assert.deepEqual(statusesOf(socket, res.json.id), ["queued", "sent", "delivered", "read"]);
    socket.close();
  });

  test("statuses that beat the provider's answer wait, and apply when the send is recorded", async () => {
    const s = await setup({ from: "5511900000912" });
    // The phone reports sent (at 400 ms) and delivered (800 ms) before the API answers (1000 ms).
    graph.followWithStatuses(s.phoneNumberId, `${ponte.base}${s.channel.path}`, s.channel.appSecret);
    graph.script("5511900000912", answers.slow(1000));
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Corrida de status"));
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.json.status, "sent", "the waiting `delivered` was applied on accept");
    await socket.next((f) => f.type === "message.updated" && f.message.status === "read", 10_000);
    const seen = statusesOf(socket, res.json.id);
    const rank = ["queued", "sent", "delivered", "read"];
    assert.deepEqual(seen, [...seen].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)), "never backwards");
    assert.equal(seen.at(-1), "read");
    socket.close();
  });

  test("a send by phone number finds the contact, and Meta's wa_id joins its identities", async () => {
    const s = await setup({ from: "5511987650001" });
    graph.waIdFor("5511987650001", "551187650001");
    const res = await send(s.key, { channel_id: s.channel.id, to: "+55 (11) 98765-0001", type: "text", text: { body: "Oi" } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.conversation_id, s.conversation.id, "the same conversation as the inbound message");
    const contact = await call(ponte, "GET", `/v1/contacts/${s.conversation.contact.id}`, { key: s.key });
    assert.ok(contact.json.identities.includes("wa:551187650001"), JSON.stringify(contact.json.identities));
    // The next send uses Meta's canonical id.
    await send(s.key, text(s.conversation, "De novo"));
    assert.equal(graph.calls.at(-1).body.to, "551187650001");
  });

  test("another tenant's socket receives nothing from a send", async () => {
    const s = await setup();
    const other = await createTenant(ponte);
    const stranger = await openSocket(ponte, { token: other.api_key });
    const mine = await openSocket(ponte, { token: s.key });
    assert.equal((await send(s.key, text(s.conversation))).status, 201);
    await mine.next((f) => f.type === "message.updated" && f.message.status === "sent");
    assert.deepEqual(stranger.events(), []);
    stranger.close();
    mine.close();
  });
});

describe("retries", () => {
  test("a 429 then success gives one message and one `sent`", async () => {
    const s = await setup({ from: "5511900000429" });
    graph.script("5511900000429", answers.rateLimited("1"));
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Tente de novo"));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.status, "queued");
    await socket.next((f) => f.type === "message.updated" && f.message.status === "sent", 20_000);
    assert.equal(graph.callsTo("5511900000429").length, 2);
    const messages = (await call(ponte, "GET", `/v1/conversations/${s.conversation.id}/messages`, { key: s.key })).json.data;
    assert.equal(messages.filter((m) => m.direction === "outbound").length, 1);
    assert.deepEqual(statusesOf(socket, res.json.id), ["queued", "sent"]);
    socket.close();
  });

  test("repeated 500s end in `failed` after the last attempt, and in the dead letter queue", async () => {
    const s = await setup({ from: "5511900000500" });
    graph.script("5511900000500", ...Array.from({ length: MAX_ATTEMPTS }, answers.serverError));
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Vai falhar"));
    assert.equal(res.status, 202, res.text);
    const failed = await socket.next((f) => f.type === "message.updated" && f.message.status === "failed", 30_000);
    assert.match(failed.message.error.title, /gave up after 3 attempts/);
    assert.equal(graph.callsTo("5511900000500").length, MAX_ATTEMPTS);
    let letters;
    for (let i = 0; i < 40; i++) {
      letters = (await call(ponte, "GET", "/v1/dead-letters", { key: s.key })).json.data;
      if (letters.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(letters.length, 1);
    assert.equal(letters[0].message_id, res.json.id);
    assert.equal(letters[0].attempts, MAX_ATTEMPTS);
    // Nothing more is attempted once failed.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(graph.callsTo("5511900000500").length, MAX_ATTEMPTS);
    socket.close();
  });

  test("an unreachable provider is retried, then fails with a network reason", async () => {
    // A port that was free a moment ago: nothing listens there.
    const closed = await startGraph();
    await closed.stop();
    const s = await setup({ from: "5511900000503", graphBaseUrl: closed.baseUrl });
    const socket = await openSocket(ponte, { token: s.key });
    const res = await send(s.key, text(s.conversation, "Ninguém"));
    assert.equal(res.status, 202, res.text);
    const failed = await socket.next((f) => f.type === "message.updated" && f.message.status === "failed", 30_000);
    assert.match(failed.message.error.title, /could not reach the provider/);
    socket.close();
  });

  test("a permanent refusal fails at once with the provider's reason: 131047 (400), 190 (401), 10 (403)", async () => {
    const s = await setup({ from: "5511900131047" });
    graph.script("5511900131047", answers.reengagement(), answers.badToken(), answers.forbidden());
    const first = await send(s.key, text(s.conversation));
    assert.equal(first.status, 502, first.text);
    assert.equal(first.headers.get("content-type"), "application/problem+json");
    assert.match(first.json.detail, /131047/);
    assert.equal(first.json.message.status, "failed");
    assert.equal(first.json.message.error.code, 131047);
    const second = await send(s.key, text(s.conversation));
    assert.equal(second.status, 502);
    assert.equal(second.json.message.error.code, 190);
    const third = await send(s.key, text(s.conversation));
    assert.equal(third.status, 502);
    assert.equal(third.json.message.error.code, 10);
    assert.equal(graph.callsTo("5511900131047").length, 3, "no retries");
  });
});

describe("Idempotency-Key", () => {
  test("the same key and body give the same message and one provider call", async () => {
    const s = await setup({ from: "5511900000001" });
    const body = text(s.conversation, "Uma vez");
    const first = await send(s.key, body, { "idempotency-key": "order-1" });
    assert.equal(first.status, 201, first.text);
    const again = await send(s.key, body, { "idempotency-key": "order-1" });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.json.id, first.json.id);
    assert.equal(graph.callsTo("5511900000001").length, 1);
  });

  test("racing requests with one key send once", async () => {
    const s = await setup({ from: "5511900000002" });
    const body = text(s.conversation, "Corrida");
    const results = await Promise.all(Array.from({ length: 5 }, () => send(s.key, body, { "idempotency-key": "race" })));
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1, results.map((r) => r.text).join("\n"));
    assert.equal(graph.callsTo("5511900000002").length, 1);
  });

  test("the same key with another body is 409; a malformed key is 400", async () => {
    const s = await setup({ from: "5511900000003" });
    assert.equal((await send(s.key, text(s.conversation, "A"), { "idempotency-key": "k" })).status, 201);
    const conflict = await send(s.key, text(s.conversation, "B"), { "idempotency-key": "k" });
    assert.equal(conflict.status, 409);
    assert.match(conflict.json.detail, /different request body/);
    assert.equal((await send(s.key, text(s.conversation), { "idempotency-key": "x".repeat(256) })).status, 400);
    assert.equal(graph.callsTo("5511900000003").length, 1);
  });
});

describe("the 24-hour window", () => {
  test("a free-form message to a contact silent for over 24 h is 422 and says to use a template", async () => {
    const s = await setup({ from: "5511900000024", writtenAgoMs: 25 * 3600 * 1000 });
    const res = await send(s.key, text(s.conversation));
    assert.equal(res.status, 422);
    assert.equal(res.json.field, "type");
    assert.match(res.json.detail, /template/);
    assert.equal(graph.callsTo("5511900000024").length, 0);
    const template = await send(s.key, {
      conversation_id: s.conversation.id, type: "template",
      template: { name: "order_update", language: { code: "pt_BR" } },
    });
    assert.equal(template.status, 201, template.text);
  });

  test("a new number gets templates only", async () => {
    const s = await setup({ from: "5511900000025" });
    const body = { channel_id: s.channel.id, to: "+1 (415) 555-0100" };
    assert.equal((await send(s.key, { ...body, type: "text", text: { body: "Hi" } })).status, 422);
    const template = await send(s.key, { ...body, type: "template", template: { name: "hello_world", language: { code: "en_US" } } });
    assert.equal(template.status, 201, template.text);
    assert.equal(graph.calls.at(-1).body.to, "14155550100");
  });
});

describe("every send type, as Meta documents it", () => {
  test("image, audio, sticker, video, document, location, reaction, template and a reply", async () => {
    const s = await setup({ from: "5511900000777" });
    const base = { messaging_product: "whatsapp", recipient_type: "individual", to: "5511900000777" };
    const cases = [
      [{ type: "image", image: { link: "https://example.com/a.jpg", caption: "Foto" } },
        { type: "image", image: { link: "https://example.com/a.jpg", caption: "Foto" } }],
      [{ type: "audio", audio: { link: "https://example.com/a.ogg" } },
        { type: "audio", audio: { link: "https://example.com/a.ogg" } }],
      [{ type: "sticker", sticker: { link: "https://example.com/s.webp" } },
        { type: "sticker", sticker: { link: "https://example.com/s.webp" } }],
      [{ type: "video", video: { link: "https://example.com/a.mp4" } },
        { type: "video", video: { link: "https://example.com/a.mp4" } }],
      [{ type: "document", document: { link: "https://example.com/a.pdf", filename: "nota.pdf", caption: "Nota" } },
        { type: "document", document: { link: "https://example.com/a.pdf", caption: "Nota", filename: "nota.pdf" } }],
      [{ type: "location", location: { latitude: -23.5613, longitude: -46.6565, name: "MASP", address: "Av. Paulista, 1578" } },
        { type: "location", location: { latitude: -23.5613, longitude: -46.6565, name: "MASP", address: "Av. Paulista, 1578" } }],
      [{ type: "template", template: { name: "order_update", language: { code: "pt_BR" },
        components: [{ type: "body", parameters: [{ type: "text", text: "4521" }] }] } },
        { type: "template", template: { name: "order_update", language: { code: "pt_BR" },
          components: [{ type: "body", parameters: [{ type: "text", text: "4521" }] }] } }],
    ];
    for (const [request, expected] of cases) {
      const res = await send(s.key, { conversation_id: s.conversation.id, ...request });
      assert.equal(res.status, 201, `${request.type}: ${res.text}`);
      assert.equal(res.json.type, request.type);
      assert.deepEqual(graph.calls.at(-1).body, { ...base, ...expected }, request.type);
    }
    const messages = (await call(ponte, "GET", `/v1/conversations/${s.conversation.id}/messages`, { key: s.key })).json.data;
    const inbound = messages.find((m) => m.direction === "inbound");

    const reaction = await send(s.key, { conversation_id: s.conversation.id, type: "reaction", reaction: { message_id: inbound.id, emoji: "👍" } });
    assert.equal(reaction.status, 201, reaction.text);
    assert.deepEqual(graph.calls.at(-1).body, { ...base, type: "reaction", reaction: { message_id: s.inboundId, emoji: "👍" } });
    assert.equal(reaction.json.content.message_id, s.inboundId, "stored like an inbound reaction: by provider id");

    const reply = await send(s.key, { conversation_id: s.conversation.id, type: "text", text: { body: "Respondendo", preview_url: true }, reply_to: inbound.id });
    assert.equal(reply.status, 201, reply.text);
    assert.deepEqual(graph.calls.at(-1).body, {
      ...base, type: "text", text: { preview_url: true, body: "Respondendo" }, context: { message_id: s.inboundId },
    });
  });
});

describe("bad requests name what is wrong", () => {
  test("400 for what is not JSON, 422 naming the field otherwise", async () => {
    const s = await setup({ from: "5511900000400" });
    const notJson = await send(s.key, "{nope");
    assert.equal(notJson.status, 400);
    const cases = [
      [{ conversation_id: s.conversation.id, type: "text", text: {} }, "text.body"],
      [{ conversation_id: s.conversation.id, type: "sticker", sticker: {} }, "sticker.link"],
      [{ conversation_id: s.conversation.id, type: "contacts", contacts: [] }, "type"],
      [{ conversation_id: s.conversation.id, channel_id: s.channel.id, to: "+5511900000400", type: "text", text: { body: "x" } }, "conversation_id"],
      [{ conversation_id: "con_000000000000000000000000", type: "text", text: { body: "x" } }, "conversation_id"],
      [{ channel_id: "chn_000000000000000000000000", to: "+5511900000400", type: "text", text: { body: "x" } }, "channel_id"],
      [{ channel_id: s.channel.id, to: "12", type: "text", text: { body: "x" } }, "to"],
      [{ conversation_id: s.conversation.id, type: "text", text: { body: "x" }, reply_to: "msg_000000000000000000000000" }, "reply_to"],
      [{ conversation_id: s.conversation.id, type: "reaction", reaction: { message_id: "msg_000000000000000000000000", emoji: "👍" } }, "reaction.message_id"],
      [{ conversation_id: s.conversation.id, type: "image", image: { link: "ftp://x" } }, "image.link"],
    ];
    for (const [body, field] of cases) {
      const res = await send(s.key, body);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(res.json.field, field, res.text);
    }
    assert.equal(graph.callsTo("5511900000400").length, 0);
    assert.equal((await call(ponte, "POST", "/v1/messages", { body: text(s.conversation) })).status, 401);
  });
});

describe("agent actions", () => {
  test("read marks the last inbound message read at the provider and zeroes the unread count", async () => {
    const s = await setup({ from: "5511900000808" });
    const socket = await openSocket(ponte, { token: s.key });
    assert.equal(s.conversation.unread_count, 1);
    const res = await call(ponte, "POST", `/v1/conversations/${s.conversation.id}/read`, { key: s.key });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.unread_count, 0);
    assert.deepEqual(graph.calls.at(-1).body, { messaging_product: "whatsapp", status: "read", message_id: s.inboundId });
    const event = await socket.next((f) => f.type === "conversation.updated");
    assert.equal(event.conversation.unread_count, 0);
    socket.close();
  });

  test("a provider failure on read is 503 and leaves the count alone", async () => {
    const s = await setup({ from: "5511900000809" });
    graph.script(s.inboundId, answers.serverError());
    const res = await call(ponte, "POST", `/v1/conversations/${s.conversation.id}/read`, { key: s.key });
    assert.equal(res.status, 503, res.text);
    const conversation = (await call(ponte, "GET", `/v1/conversations/${s.conversation.id}`, { key: s.key })).json;
    assert.equal(conversation.unread_count, 1);
    assert.equal((await call(ponte, "POST", "/v1/conversations/con_000000000000000000000000/read", { key: s.key })).status, 404);
  });

  test("status moves between open, pending and resolved; an inbound message reopens", async () => {
    const s = await setup({ from: "5511900000810" });
    const socket = await openSocket(ponte, { token: s.key });
    const path = `/v1/conversations/${s.conversation.id}`;
    const resolved = await call(ponte, "PATCH", path, { key: s.key, body: { status: "resolved" } });
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.json.status, "resolved");
    assert.equal((await socket.next((f) => f.type === "conversation.updated")).conversation.status, "resolved");
    await postWebhook(ponte, s.channel, metaText({ from: s.from, id: "wamid.REOPEN", phoneNumberId: s.phoneNumberId }));
    // The reopening message carries its conversation.
    assert.equal((await socket.next((f) => f.type === "message.created")).conversation.status, "open");
    const bad = await call(ponte, "PATCH", path, { key: s.key, body: { status: "closed" } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.field, "status");
    assert.equal((await call(ponte, "PATCH", path, { key: s.key, body: { status: "open", extra: 1 } })).status, 422);
    assert.equal((await call(ponte, "PATCH", "/v1/conversations/con_000000000000000000000000", { key: s.key, body: { status: "open" } })).status, 404);
    socket.close();
  });
});
