// Media from the providers beyond Meta and the WhatsApp Web gateways, end to end: each
// attachment is copied into R2 the way its provider requires and served whole from /media.
// Telegram's two steps (`getFile`, then the file under the bot's URL), Twilio's MediaUrl (basic
// auth, then a redirect to its CDN; no credential to any other host) and GupShup's direct link.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { APP_NAME, API_KEY as GUPSHUP_KEY, inboundMessage } from "../../tools/gupshup-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { BOT_TOKEN, startTelegram } from "../../tools/telegram-emulator.mjs";
import { ACCOUNT_SID, AUTH_TOKEN, signTwilio, startTwilio } from "../../tools/twilio-emulator.mjs";
import { allMessages, call, createChannel, createTenant, eventually, startPonte } from "./harness.mjs";

const SECRET = "e2e-media-secret";
let ponte;
let host;
let telegram;
let twilio;

before(async () => {
  [host, telegram, twilio] = await Promise.all([startMediaHost(), startTelegram(), startTwilio()]);
  ponte = await startPonte({ vars: { MEDIA_RETRY_BASE_SECONDS: 1, MEDIA_MAX_ATTEMPTS: 3 } });
});
after(async () => {
  ponte?.stop();
  await Promise.all([host?.stop(), telegram?.stop(), twilio?.stop()]);
});

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The tenant's one message, once its attachment's copy has ended. */
const settled = (key) => eventually(async () => {
  const [message] = await allMessages(ponte, key);
  assert.ok(["ready", "failed"].includes(message?.media?.status), `still ${message?.media?.status}`);
  return message;
});

async function servedWhole(key, message, bytes, type) {
  assert.equal(message.media.status, "ready", JSON.stringify(message.media));
  assert.equal(message.media.sha256, sha256(bytes));
  const res = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  assert.equal(res.headers.get("content-type"), type);
}

describe("provider media", () => {
  test("a Telegram photo is looked up with getFile and downloaded under the bot's file URL", async () => {
    const { api_key: key } = await createTenant(ponte);
    const channel = await createChannel(ponte, key, { provider: "telegram", config: { base_url: telegram.baseUrl }, secrets: { bot_token: BOT_TOKEN, webhook_secret: SECRET } });
    const bytes = randomBytes(48 * 1024);
    const fileId = `AgACAgEAAxkBAAI${randomBytes(12).toString("hex")}`;
    telegram.putFile(fileId, bytes, "image/jpeg");
    const from = 700_000_001;
    const user = { id: from, is_bot: false, first_name: "Ana" };
    const update = {
      update_id: 91,
      message: { message_id: 91, from: user, chat: { id: from, type: "private", first_name: "Ana" }, date: Math.floor(Date.now() / 1000), caption: "a nota",
        photo: [{ file_id: `${fileId}small`, file_unique_id: "s", width: 90, height: 90, file_size: 1200 }, { file_id: fileId, file_unique_id: "l", width: 1280, height: 960, file_size: bytes.length }] },
    };
    const res = await call(ponte, "POST", channel.path, { body: update, headers: { "x-telegram-bot-api-secret-token": SECRET } });
    assert.equal(res.status, 200, res.text);
    const message = await settled(key);
    await servedWhole(key, message, bytes, "image/jpeg");
    const paths = telegram.calls.map((c) => c.path);
    assert.ok(paths.includes(`/bot${BOT_TOKEN}/getFile?file_id=${fileId}`), JSON.stringify(paths));
    assert.ok(paths.some((p) => p.startsWith(`/file/bot${BOT_TOKEN}/photos/`)), JSON.stringify(paths));
  });

  test("a Twilio MediaUrl is fetched with basic auth and its redirect followed; a URL on another host gets no credential", async () => {
    const { api_key: key } = await createTenant(ponte);
    const channel = await createChannel(ponte, key, { provider: "twilio", config: { base_url: twilio.baseUrl, account_sid: ACCOUNT_SID, from: "whatsapp:+14155550199" }, secrets: { auth_token: AUTH_TOKEN } });
    const bytes = randomBytes(32 * 1024);
    const cdn = host.put(`/twilio-cdn/${randomBytes(6).toString("hex")}`, bytes, "image/png");
    const mediaUrl = twilio.putMedia(cdn);
    const sid = `MM${randomBytes(16).toString("hex")}`;
    const form = (url, id) => ({ MessageSid: id, SmsStatus: "received", AccountSid: ACCOUNT_SID, From: "whatsapp:+5511987001234", To: "whatsapp:+14155550199", Body: "", NumMedia: "1", MediaUrl0: url, MediaContentType0: "image/png", WaId: "5511987001234", ApiVersion: "2010-04-01" });
    const post = (params) => call(ponte, "POST", channel.path, {
      body: new URLSearchParams(params).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilio(AUTH_TOKEN, channel.webhook_url, Object.entries(params)) },
    });
    assert.equal((await post(form(mediaUrl, sid))).status, 200);
    const message = await settled(key);
    await servedWhole(key, message, bytes, "image/png");
    const viaTwilio = twilio.calls.find((c) => c.path === new URL(mediaUrl).pathname);
    assert.match(viaTwilio.headers.authorization, /^Basic /);
    const atCdn = host.calls.find((c) => c.path === new URL(cdn).pathname);
    assert.equal(atCdn.authorization, undefined, "the redirect to the CDN carries no credential");

    const elsewhere = host.put(`/elsewhere/${randomBytes(6).toString("hex")}`, bytes, "image/png");
    assert.equal((await post(form(elsewhere, `MM${randomBytes(16).toString("hex")}`))).status, 200);
    const [call2] = await host.waitFor((c) => c.path === new URL(elsewhere).pathname);
    assert.equal(call2.authorization, undefined, "the auth token goes only to Twilio");
  });

  test("a GupShup file is copied from its short-lived link", async () => {
    const { api_key: key } = await createTenant(ponte);
    const channel = await createChannel(ponte, key, { provider: "gupshup", config: { base_url: "http://127.0.0.1:9", app_name: APP_NAME, source: "551140028922" }, secrets: { api_key: GUPSHUP_KEY } });
    const bytes = randomBytes(20 * 1024);
    const url = host.put(`/gupshup/${randomBytes(6).toString("hex")}`, bytes, "application/pdf");
    const body = inboundMessage({ from: "5511987005678", type: "file", payload: { url, contentType: "application/pdf", name: "boleto.pdf", caption: "" } });
    assert.equal((await call(ponte, "POST", channel.path, { body })).status, 200);
    const message = await settled(key);
    await servedWhole(key, message, bytes, "application/pdf");
    assert.equal(message.media.filename ?? message.content?.filename, "boleto.pdf");
  });
});
