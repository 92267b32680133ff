// Telegram end to end, on the real Workers, with tools/telegram-emulator.mjs playing the Bot API:
// the secret header, exactly-once storage, edits applied in place, each send in the Bot API's
// shape with the bot token, retries and Telegram's reasons, and connect calling setWebhook.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BOT_TOKEN, answers, startTelegram, telegramText } from "../../tools/telegram-emulator.mjs";
import { allMessages, call, createChannel, createTenant, eventually, startPonte } from "./harness.mjs";

const SECRET = "e2e-Webhook_secret-4521";
const HEADER = "x-telegram-bot-api-secret-token";
const SENDS = /^\/bot[^/]+\/(send\w+|setMessageReaction)$/;

let ponte;
let emulator;
let users = 0;
// Distinct chats keep one test's scripted answers from reaching another's sends.
const nextUser = () => 700000000 + ++users * 97;

before(async () => {
  emulator = await startTelegram();
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: 3, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
});
after(async () => {
  ponte?.stop();
  await emulator?.stop();
});

async function setup({ secrets = { bot_token: BOT_TOKEN, webhook_secret: SECRET }, config = {} } = {}) {
  const tenant = await createTenant(ponte);
  const channel = await createChannel(ponte, tenant.api_key, {
    provider: "telegram",
    config: { base_url: emulator.baseUrl, ...config },
    secrets,
  });
  return { key: tenant.api_key, channel };
}

const post = (s, body, secret = SECRET) =>
  call(ponte, "POST", s.channel.path, { body, headers: secret === null ? {} : { [HEADER]: secret } });
const send = (s, body) => call(ponte, "POST", "/v1/messages", { key: s.key, body });
const messageOf = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;
const sendsSince = (n) => emulator.calls.filter((c) => SENDS.test(c.path)).slice(n);
const sendCount = () => emulator.calls.filter((c) => SENDS.test(c.path)).length;

describe("telegram: inbound", () => {
  test("an update is stored exactly once: three deliveries and six concurrent ones give one message", async () => {
    const s = await setup();
    const from = nextUser();
    const update = telegramText({ from, messageId: 42, text: "Quero saber do pedido 4521" });
    for (let i = 0; i < 3; i++) assert.equal((await post(s, update)).status, 200);
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => post(s, update)));
    assert.deepEqual(concurrent.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].provider_message_id, `${from}:42`);
    assert.equal(messages[0].text, "Quero saber do pedido 4521");
    const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
    const contact = await call(ponte, "GET", `/v1/contacts/${json.data[0].contact.id}`, { key: s.key });
    assert.deepEqual(contact.json.identities, [`tg:${from}`]);
  });

  test("the same message id in another chat is another message", async () => {
    const s = await setup();
    await post(s, telegramText({ from: nextUser(), messageId: 7, text: "um" }));
    await post(s, telegramText({ from: nextUser(), messageId: 7, text: "dois" }));
    assert.equal((await allMessages(ponte, s.key)).length, 2);
  });

  test("a forged or missing secret is 401 and stores nothing", async () => {
    const s = await setup();
    const update = telegramText({ from: nextUser(), messageId: 1, text: "forjado" });
    assert.equal((await post(s, update, "e2e-Webhook_secret-4522")).status, 401);
    assert.equal((await post(s, update, null)).status, 401);
    assert.equal((await allMessages(ponte, s.key)).length, 0);
  });

  test("an edit replaces the stored text in place, and an older edit delivered late does not", async () => {
    const s = await setup();
    const from = nextUser();
    const original = telegramText({ from, messageId: 50, text: "Quero 2 camisas", date: 1_717_600_000 });
    await post(s, original);
    const edit = (text, editDate, updateId) => ({
      update_id: updateId,
      edited_message: { ...original.message, text, edit_date: editDate },
    });
    assert.equal((await post(s, edit("Quero 3 camisas", 1_717_600_300, 900))).status, 200);
    assert.equal((await post(s, edit("Quero 1 camisa", 1_717_600_100, 899))).status, 200);
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1, "the edit is not a message of its own");
    assert.equal(messages[0].text, "Quero 3 camisas");
    assert.equal(messages[0].content.body, "Quero 3 camisas");
    assert.equal(messages[0].edited_at, 1_717_600_300_000);
    const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;
    assert.equal(conversation.last_message.preview, "Quero 3 camisas", "the list shows the edited text");
  });

  test("group messages are accepted and not stored unless include_groups", async () => {
    const s = await setup();
    const group = {
      update_id: 77,
      message: { message_id: 3, from: { id: nextUser(), is_bot: false, first_name: "Bia" }, chat: { id: -1001234, type: "supergroup", title: "VIP" }, date: 1_717_600_000, text: "bom dia" },
    };
    assert.equal((await post(s, group)).status, 200);
    assert.equal((await allMessages(ponte, s.key)).length, 0);
    const withGroups = await setup({ config: { include_groups: true } });
    assert.equal((await post(withGroups, group)).status, 200);
    const [stored] = await allMessages(ponte, withGroups.key);
    assert.equal(stored.provider_message_id, "-1001234:3");
  });
});

describe("telegram: sending", () => {
  async function withContact(s) {
    const from = nextUser();
    await post(s, telegramText({ from, messageId: 10, text: "Oi" }));
    const { json } = await call(ponte, "GET", "/v1/conversations", { key: s.key });
    const [inbound] = await allMessages(ponte, s.key);
    return { from, conversation: json.data[0], inbound };
  }

  test("each kind of send reaches the Bot API in its documented shape, with the bot token, and ends at sent", async () => {
    const s = await setup();
    const { from, conversation, inbound } = await withContact(s);
    const cases = [
      [{ type: "text", text: { body: "Olá!" } }, "sendMessage", { chat_id: from, text: "Olá!", link_preview_options: { is_disabled: true } }],
      [{ type: "text", text: { body: "Respondendo" }, reply_to: inbound.id }, "sendMessage",
        { chat_id: from, text: "Respondendo", link_preview_options: { is_disabled: true }, reply_parameters: { message_id: 10, allow_sending_without_reply: true } }],
      [{ type: "image", image: { link: "https://cdn.example.com/p/4521.jpg", caption: "Seu pedido" } }, "sendPhoto",
        { chat_id: from, photo: "https://cdn.example.com/p/4521.jpg", caption: "Seu pedido" }],
      [{ type: "document", document: { link: "https://cdn.example.com/n.pdf", caption: "Nota" } }, "sendDocument",
        { chat_id: from, document: "https://cdn.example.com/n.pdf", caption: "Nota" }],
      [{ type: "audio", audio: { link: "https://cdn.example.com/a.mp3" } }, "sendAudio", { chat_id: from, audio: "https://cdn.example.com/a.mp3" }],
      [{ type: "audio", audio: { link: "https://cdn.example.com/v.ogg" } }, "sendVoice", { chat_id: from, voice: "https://cdn.example.com/v.ogg" }],
      [{ type: "video", video: { link: "https://cdn.example.com/v.mp4" } }, "sendVideo", { chat_id: from, video: "https://cdn.example.com/v.mp4" }],
      [{ type: "location", location: { latitude: -23.5617, longitude: -46.6559 } }, "sendLocation", { chat_id: from, latitude: -23.5617, longitude: -46.6559 }],
      [{ type: "reaction", reaction: { message_id: inbound.id, emoji: "👍" } }, "setMessageReaction",
        { chat_id: from, message_id: 10, reaction: [{ type: "emoji", emoji: "👍" }] }],
    ];
    for (const [body, method, expected] of cases) {
      const before = sendCount();
      const res = await send(s, { conversation_id: conversation.id, ...body });
      assert.equal(res.status, 201, `${method}: ${res.text}`);
      assert.equal(res.json.status, "sent", method);
      const made = sendsSince(before);
      assert.equal(made.length, 1, method);
      assert.equal(made[0].path, `/bot${BOT_TOKEN}/${method}`);
      assert.deepEqual(made[0].body, expected, method);
    }
    // No statuses will come: a sent message stays sent, with Telegram's chat-scoped id.
    const sent = (await allMessages(ponte, s.key)).find((m) => m.text === "Olá!");
    assert.match(sent.provider_message_id, new RegExp(`^${from}:\\d+$`));
  });

  test("a 429 is retried after retry_after until sent; a refusal fails with Telegram's description", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    emulator.script(from, answers.rateLimited(1));
    const retried = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Tentando" } });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.json.status, "queued");
    await eventually(async () => assert.equal((await messageOf(s, retried.json.id)).status, "sent"));

    emulator.script(from, answers.blocked());
    const refused = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Recusado" } });
    assert.equal(refused.status, 502, refused.text);
    assert.match(refused.json.detail, /bot was blocked by the user/);
    assert.equal((await messageOf(s, refused.json.message.id)).status, "failed");
  });
});

describe("telegram: connect", () => {
  test("connect calls setWebhook with the channel's webhook URL and a generated secret, which then authenticates", async () => {
    const s = await setup({ secrets: { bot_token: BOT_TOKEN } });
    assert.equal(JSON.stringify(s.channel).includes("secret"), false, "no secret is shown");
    const res = await call(ponte, "POST", `/v1/channels/${s.channel.id}/connect`, { key: s.key });
    assert.equal(res.status, 200, res.text);
    const registered = emulator.webhook();
    assert.equal(registered.url, s.channel.webhook_url);
    assert.match(registered.secret, /^[A-Za-z0-9_-]{32,256}$/);
    assert.ok(registered.allowedUpdates.includes("edited_message"));
    const update = telegramText({ from: nextUser(), messageId: 5, text: "via setWebhook" });
    assert.equal((await post(s, update, registered.secret)).status, 200);
    assert.equal((await post(s, update, SECRET)).status, 401);
    assert.equal((await allMessages(ponte, s.key)).length, 1);
  });
});
