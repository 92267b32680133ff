// Messenger and Instagram Direct end to end, on the real Workers, with
// tools/messenger-emulator.mjs playing Meta's Send API and signing its webhooks: exactly-once
// storage, the signature and the handshake, statuses by message and by watermark (forward only),
// each send in the documented shape with the page token, retries and Meta's reasons, edits,
// echoes of our own sends, and Instagram's own contacts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  answers, deliveryEvent, editEvent, messengerWebhook, readEvent, signMessenger, startMessenger, textEvent,
} from "../../tools/messenger-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { allMessages, call, createChannel, createTenant, eventually, openSocket, startPonte } from "./harness.mjs";

const APP_SECRET = "e2e-messenger-app-secret";
const TOKEN = "EAAPage-e2e-token";
const IG_ACCOUNT = "17841400000000001";
const SENDS = /\/messages$/;

let ponte;
let emulator;
let host;
let pages = 0;
let users = 0;
// Distinct pages and users keep one test's scripted answers and echoes from reaching another's.
const nextPage = () => String(1122334400 + ++pages);
const nextUser = () => String(6543210987600000 + ++users * 97);

before(async () => {
  [emulator, host] = await Promise.all([startMessenger(), startMediaHost()]);
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: 3, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
});
after(async () => {
  ponte?.stop();
  await Promise.all([emulator?.stop(), host?.stop()]);
});

async function setup({ instagram = false } = {}) {
  const page = nextPage();
  emulator.page(page, TOKEN);
  const tenant = await createTenant(ponte);
  const channel = await createChannel(ponte, tenant.api_key, {
    provider: "messenger",
    config: { graph_base_url: emulator.baseUrl, page_id: page, ...(instagram ? { instagram_account_id: IG_ACCOUNT } : {}) },
    secrets: { page_access_token: TOKEN, app_secret: APP_SECRET, verify_token: "e2e-verify-4521" },
  });
  return { key: tenant.api_key, channel, page, url: `${ponte.base}${channel.path}` };
}

const post = (s, body, signature = signMessenger(APP_SECRET, JSON.stringify(body))) =>
  call(ponte, "POST", s.channel.path, {
    body: JSON.stringify(body),
    headers: signature === null ? {} : { "x-hub-signature-256": signature },
  });
const send = (s, body) => call(ponte, "POST", "/v1/messages", { key: s.key, body });
const messageOf = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;
const sendsSince = (n) => emulator.calls.filter((c) => SENDS.test(c.path)).slice(n);
const sendCount = () => emulator.calls.filter((c) => SENDS.test(c.path)).length;
const text = (body) => ({ type: "text", text: { body } });

/** A contact who just wrote to the page: the 24-hour window is open. */
async function withContact(s) {
  const from = nextUser();
  const mid = `m_in-${from}`;
  await post(s, messengerWebhook({ account: s.page, events: [textEvent({ from, to: s.page, mid, text: "Oi" })] }));
  const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
  const [inbound] = await allMessages(ponte, s.key);
  return { from, conversation: json.data[0], inbound };
}

describe("messenger: inbound", () => {
  test("a message is stored exactly once: three deliveries and six concurrent ones give one message and one contact", async () => {
    const s = await setup();
    const from = nextUser();
    const body = messengerWebhook({ account: s.page, events: [textEvent({ from, to: s.page, mid: "m_once-4521", text: "Ainda tem o tênis 42?" })] });
    for (let i = 0; i < 3; i++) assert.equal((await post(s, body)).status, 200);
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => post(s, body)));
    assert.deepEqual(concurrent.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].provider_message_id, "m_once-4521");
    assert.equal(messages[0].text, "Ainda tem o tênis 42?");
    const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
    assert.equal(json.data.length, 1);
    const contact = await call(ponte, "GET", `/v1/contacts/${json.data[0].contact.id}`, { key: s.key });
    assert.deepEqual(contact.json.identities, [`psid:${from}`]);
  });

  test("a forged or missing signature is 401 and stores nothing", async () => {
    const s = await setup();
    const body = messengerWebhook({ account: s.page, events: [textEvent({ from: nextUser(), to: s.page, mid: "m_forged", text: "forjado" })] });
    assert.equal((await post(s, body, signMessenger("not-the-app-secret", JSON.stringify(body)))).status, 401);
    assert.equal((await post(s, body, null)).status, 401);
    assert.equal((await allMessages(ponte, s.key)).length, 0);
  });

  test("the handshake answers the challenge for the verify token, and nothing else", async () => {
    const s = await setup();
    const ok = await call(ponte, "GET", `${s.channel.path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=e2e-verify-4521`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, "1158201444");
    const wrong = await call(ponte, "GET", `${s.channel.path}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`);
    assert.equal(wrong.status, 403);
  });

  test("messages of another page in the same delivery are ignored, ours stored", async () => {
    const s = await setup();
    const from = nextUser();
    const body = messengerWebhook({ account: s.page, events: [textEvent({ from, to: s.page, mid: "m_ours", text: "nosso" })] });
    body.entry.push({ id: "9988776655", time: Date.now(), messaging: [textEvent({ from, to: "9988776655", mid: "m_theirs", text: "deles" })] });
    assert.equal((await post(s, body)).status, 200);
    assert.deepEqual((await allMessages(ponte, s.key)).map((m) => m.provider_message_id), ["m_ours"]);
  });

  test("a quick reply and a postback are button replies, and a reaction and its removal are reactions to the named message", async () => {
    const s = await setup();
    const from = nextUser();
    const party = { sender: { id: from }, recipient: { id: s.page } };
    const events = [
      { ...party, timestamp: 1_717_600_001_000, message: { mid: "m_quick", text: "Vermelho", quick_reply: { payload: "COLOR_RED" } } },
      { ...party, timestamp: 1_717_600_002_000, postback: { title: "Falar com atendente", payload: "HUMAN_AGENT", mid: "m_postback" } },
      { ...party, timestamp: 1_717_600_003_000, reaction: { mid: "m_quick", action: "react", reaction: "love", emoji: "❤️" } },
      { ...party, timestamp: 1_717_600_004_000, reaction: { mid: "m_quick", action: "unreact", reaction: "love", emoji: "❤️" } },
    ];
    assert.equal((await post(s, messengerWebhook({ account: s.page, events }))).status, 200);
    const stored = (await allMessages(ponte, s.key)).sort((a, b) => a.timestamp - b.timestamp);
    assert.deepEqual(stored.map((m) => m.content), [
      { type: "interactive", reply: { kind: "button_reply", id: "COLOR_RED", title: "Vermelho" } },
      { type: "interactive", reply: { kind: "button_reply", id: "HUMAN_AGENT", title: "Falar com atendente" } },
      { type: "reaction", message_id: "m_quick", emoji: "❤️" },
      { type: "reaction", message_id: "m_quick" },
    ]);
  });

  test("an edit replaces the stored text in place", async () => {
    const s = await setup();
    const from = nextUser();
    await post(s, messengerWebhook({ account: s.page, events: [textEvent({ from, to: s.page, mid: "m_edit-me", text: "Quero 2 camisas", timestamp: 1_717_600_000_000 })] }));
    const edited = editEvent({ from, page: s.page, mid: "m_edit-me", text: "Quero 3 camisas", timestamp: 1_717_600_300_000 });
    assert.equal((await post(s, messengerWebhook({ account: s.page, events: [edited] }))).status, 200);
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1, "the edit is not a message of its own");
    assert.equal(messages[0].text, "Quero 3 camisas");
    assert.equal(messages[0].edited_at, 1_717_600_300_000);
  });

  test("a message's text and each attachment are messages of their own, and the attachment is copied from its URL into R2", async () => {
    const s = await setup();
    const from = nextUser();
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    const url = host.put(`/fbcdn/${from}/photo.jpg`, bytes, "image/jpeg");
    const event = textEvent({ from, to: s.page, mid: `m_media-${from}`, text: "olha a foto" });
    event.message.attachments = [{ type: "image", payload: { url } }];
    assert.equal((await post(s, messengerWebhook({ account: s.page, events: [event] }))).status, 200);
    const byId = async (id) => (await allMessages(ponte, s.key)).find((m) => m.provider_message_id === id);
    assert.equal((await byId(`m_media-${from}`)).text, "olha a foto");
    await eventually(async () => assert.equal((await byId(`m_media-${from}#1`))?.media?.status, "ready"));
    const image = await byId(`m_media-${from}#1`);
    assert.equal(image.type, "image");
    assert.equal(image.media.size, bytes.length);
    const served = await fetch(`${ponte.base}/media/${image.media.id}`, { headers: { authorization: `Bearer ${s.key}` } });
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), bytes);
    const [download] = host.calls.filter((c) => c.path === `/fbcdn/${from}/photo.jpg`);
    assert.equal(download.authorization, undefined, "the page token never goes to the CDN");
  });

  test("an Instagram message is stored under an igsid: contact, and its unsending marks it deleted", async () => {
    const s = await setup({ instagram: true });
    const from = nextUser();
    const body = messengerWebhook({ object: "instagram", account: IG_ACCOUNT, events: [textEvent({ from, to: IG_ACCOUNT, mid: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE", text: "Oi, vi o post" })] });
    assert.equal((await post(s, body)).status, 200);
    const [message] = await allMessages(ponte, s.key);
    assert.equal(message.text, "Oi, vi o post");
    const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
    const contact = await call(ponte, "GET", `/v1/contacts/${json.data[0].contact.id}`, { key: s.key });
    assert.deepEqual(contact.json.identities, [`igsid:${from}`]);
    // The sender takes it back: marked deleted, never removed.
    const unsent = { sender: { id: from }, recipient: { id: IG_ACCOUNT }, timestamp: Date.now(),
      message: { mid: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE", is_deleted: true } };
    assert.equal((await post(s, messengerWebhook({ object: "instagram", account: IG_ACCOUNT, events: [unsent] }))).status, 200);
    const [after] = await allMessages(ponte, s.key);
    assert.equal(after.id, message.id);
    assert.equal(typeof after.deleted_at, "number");
  });
});

describe("messenger: statuses", () => {
  test("statuses only move forward, and a read watermark reaches every earlier send of the conversation but no later one", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    const sent = [];
    for (const body of ["um", "dois"]) {
      const res = await send(s, { conversation_id: conversation.id, ...text(body) });
      assert.equal(res.status, 201, res.text);
      sent.push(res.json);
    }
    await new Promise((r) => setTimeout(r, 20));
    const watermark = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const later = (await send(s, { conversation_id: conversation.id, ...text("três") })).json;
    const [first, second] = sent;
    const socket = await openSocket(ponte, { token: s.key });

    // Delivered by mid: only that message.
    await post(s, messengerWebhook({ account: s.page, events: [deliveryEvent({ from, page: s.page, mids: [first.provider_message_id], watermark })] }));
    assert.equal((await messageOf(s, first.id)).status, "delivered");
    assert.equal((await messageOf(s, second.id)).status, "sent");
    // Read up to the watermark: both earlier sends, not the later one.
    await post(s, messengerWebhook({ account: s.page, events: [readEvent({ from, page: s.page, watermark })] }));
    assert.equal((await messageOf(s, first.id)).status, "read");
    assert.equal((await messageOf(s, second.id)).status, "read");
    assert.equal((await messageOf(s, later.id)).status, "sent");
    const pushed = await socket.next((f) => f.type === "message.updated" && f.message.id === second.id && f.message.status === "read");
    assert.equal(pushed.message.status, "read");
    // An older delivery after the read changes nothing, by mid or by watermark.
    await post(s, messengerWebhook({ account: s.page, events: [
      deliveryEvent({ from, page: s.page, mids: [first.provider_message_id, second.provider_message_id], watermark }),
      deliveryEvent({ from, page: s.page, watermark }),
    ] }));
    assert.equal((await messageOf(s, first.id)).status, "read");
    assert.equal((await messageOf(s, second.id)).status, "read");
    assert.equal((await messageOf(s, later.id)).status, "sent");
    // A delivery watermark past the last send reaches it, and only moves it to delivered.
    await post(s, messengerWebhook({ account: s.page, events: [deliveryEvent({ from, page: s.page, watermark: Date.now() + 1000 })] }));
    assert.equal((await messageOf(s, later.id)).status, "delivered");
    assert.equal((await messageOf(s, first.id)).status, "read");
    socket.close();
  });
});

describe("messenger: sending", () => {
  test("each kind of send reaches the Send API in its documented shape, with the page token, and ends at sent", async () => {
    const s = await setup();
    const { from, conversation, inbound } = await withContact(s);
    const recipient = { id: from };
    const attachment = (type, url) => ({ attachment: { type, payload: { url, is_reusable: true } } });
    const cases = [
      [text("Olá!"), { recipient, messaging_type: "RESPONSE", message: { text: "Olá!" } }],
      [{ ...text("Respondendo"), reply_to: inbound.id }, { recipient, messaging_type: "RESPONSE", message: { text: "Respondendo" }, reply_to: { mid: inbound.provider_message_id } }],
      [{ type: "image", image: { link: "https://cdn.example.com/p/4521.jpg" } }, { recipient, messaging_type: "RESPONSE", message: attachment("image", "https://cdn.example.com/p/4521.jpg") }],
      [{ type: "audio", audio: { link: "https://cdn.example.com/a.mp3" } }, { recipient, messaging_type: "RESPONSE", message: attachment("audio", "https://cdn.example.com/a.mp3") }],
      [{ type: "video", video: { link: "https://cdn.example.com/v.mp4" } }, { recipient, messaging_type: "RESPONSE", message: attachment("video", "https://cdn.example.com/v.mp4") }],
      [{ type: "document", document: { link: "https://cdn.example.com/n.pdf", filename: "n.pdf" } }, { recipient, messaging_type: "RESPONSE", message: attachment("file", "https://cdn.example.com/n.pdf") }],
      [{ type: "reaction", reaction: { message_id: inbound.id, emoji: "👍" } }, { recipient, sender_action: "react", payload: { message_id: inbound.provider_message_id, reaction: "👍" } }],
    ];
    for (const [body, expected] of cases) {
      const before = sendCount();
      const res = await send(s, { conversation_id: conversation.id, ...body });
      assert.equal(res.status, 201, `${body.type}: ${res.text}`);
      assert.equal(res.json.status, "sent", body.type);
      const made = sendsSince(before);
      assert.equal(made.length, 1, body.type);
      assert.equal(made[0].path, `/v23.0/${s.page}/messages`);
      assert.equal(made[0].headers.authorization, `Bearer ${TOKEN}`);
      assert.deepEqual(made[0].body, expected, body.type);
    }
    const location = await send(s, { conversation_id: conversation.id, type: "location", location: { latitude: -23.5, longitude: -46.6 } });
    assert.equal(location.status, 422);
    assert.match(location.text, /location/);
  });

  test("a throttled send is retried until sent; one outside the 24-hour window fails with Meta's reason", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    emulator.script(from, answers.rateLimited());
    const retried = await send(s, { conversation_id: conversation.id, ...text("Tentando") });
    assert.equal(retried.status, 202, retried.text);
    await eventually(async () => assert.equal((await messageOf(s, retried.json.id)).status, "sent"));

    emulator.script(from, answers.outsideWindow());
    const refused = await send(s, { conversation_id: conversation.id, ...text("Tarde demais") });
    assert.equal(refused.status, 502, refused.text);
    assert.match(refused.json.detail, /outside of allowed window/);
    assert.equal((await messageOf(s, refused.json.message.id)).status, "failed");
  });

  test("a message to a contact silent for over 24 hours is 422 naming the window, and never reaches Meta", async () => {
    const s = await setup();
    const from = nextUser();
    const longAgo = Date.now() - 25 * 3600 * 1000;
    await post(s, messengerWebhook({ account: s.page, events: [textEvent({ from, to: s.page, mid: `m_old-${from}`, text: "Oi", timestamp: longAgo })] }));
    const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
    const before = sendCount();
    const res = await send(s, { conversation_id: json.data[0].id, ...text("Ainda aí?") });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.field, "type");
    assert.match(res.json.detail, /24 hours/);
    assert.doesNotMatch(res.json.detail, /template/, "messenger has no templates to offer");
    assert.equal(sendCount(), before);
  });

  test("marking the conversation read sends mark_seen with the page token", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    const before = sendCount();
    const res = await call(ponte, "POST", `/v1/conversations/${conversation.id}/read`, { key: s.key });
    assert.equal(res.status, 200, res.text);
    const [made] = await emulator.waitFor((c, i) => SENDS.test(c.path) && c.body?.sender_action === "mark_seen" && c.body.recipient.id === from);
    assert.ok(sendCount() > before);
    assert.equal(made.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(made.body, { recipient: { id: from }, sender_action: "mark_seen" });
  });

  for (const echoFirst of [false, true]) {
    test(`the echo of our own send is not stored twice (echo ${echoFirst ? "before" : "after"} the send's answer)`, async () => {
      const s = await setup();
      const { conversation } = await withContact(s);
      emulator.follow(s.page, { webhookUrl: s.url, appSecret: APP_SECRET, echoFirst });
      try {
        const res = await send(s, { conversation_id: conversation.id, ...text("Eco") });
        assert.equal(res.status, 201, res.text);
        // The echo has arrived once the event log shows a second delivery.
        await eventually(async () => {
          const events = (await call(ponte, "GET", "/v1/webhook-events", { key: s.key })).json.data;
          assert.equal(events.length, 2);
        });
        const outbound = (await allMessages(ponte, s.key)).filter((m) => m.direction === "outbound");
        assert.deepEqual(outbound.map((m) => m.id), [res.json.id]);
        assert.equal(outbound[0].provider_message_id, res.json.provider_message_id);
      } finally {
        emulator.follow(s.page, null);
      }
    });
  }
});
