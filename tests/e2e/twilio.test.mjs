// Twilio end to end, on the real Workers, with a local emulator playing Twilio's Messages API:
// signed form webhooks stored exactly once and answered with TwiML, forged or missing signatures
// refused, statuses forward-only, sends in the documented form with basic auth and a
// StatusCallback that Twilio's signed callbacks come back to, retries and refusals.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ACCOUNT_SID, AUTH_TOKEN, answers, signTwilio, startTwilio } from "../../tools/twilio-emulator.mjs";
import { allMessages, call, createChannel, createTenant, eventually, startPonte } from "./harness.mjs";

const SMS_FROM = "+14155550100";
const WA_FROM = "whatsapp:+14155550199";
let ponte;
let twilio;
let numbers = 0;
// Distinct senders keep one test's scripted answers from reaching another's sends.
const nextNumber = () => `+55119${String(7100000 + ++numbers * 89).padStart(8, "0")}`;

before(async () => {
  twilio = await startTwilio();
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: 3, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
});
after(async () => {
  ponte?.stop();
  await twilio?.stop();
});

async function channelIn(key, from) {
  return createChannel(ponte, key, {
    provider: "twilio",
    config: { base_url: twilio.baseUrl, account_sid: ACCOUNT_SID, from },
    secrets: { auth_token: AUTH_TOKEN },
  });
}

async function setup(from = WA_FROM) {
  const tenant = await createTenant(ponte);
  return { key: tenant.api_key, channel: await channelIn(tenant.api_key, from) };
}

/** POSTs the form `params` to the channel's webhook, signed over its public URL unless told otherwise. */
function post(channel, params, { signature } = {}) {
  const entries = Object.entries(params);
  const sig = signature === undefined ? signTwilio(AUTH_TOKEN, channel.webhook_url, entries) : signature;
  const headers = { "content-type": "application/x-www-form-urlencoded", ...(sig === null ? {} : { "x-twilio-signature": sig }) };
  return call(ponte, "POST", channel.path, { body: new URLSearchParams(entries).toString(), headers });
}

function inbound(from, body, { whatsapp = true, sid = `SM${crypto.randomUUID().replaceAll("-", "")}` } = {}) {
  const digits = from.slice(1);
  return {
    MessageSid: sid, SmsMessageSid: sid, SmsSid: sid, SmsStatus: "received", AccountSid: ACCOUNT_SID,
    From: whatsapp ? `whatsapp:${from}` : from, To: whatsapp ? WA_FROM : SMS_FROM, Body: body,
    NumMedia: "0", NumSegments: "1", ApiVersion: "2010-04-01",
    ...(whatsapp ? { WaId: digits, ProfileName: "Maria Souza", MessageType: "text" } : {}),
  };
}

const statusOf = (sid, status, to, extra = {}) => ({
  MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, AccountSid: ACCOUNT_SID, To: to, From: WA_FROM, ApiVersion: "2010-04-01", ...extra,
});
const send = (s, body) => call(ponte, "POST", "/v1/messages", { key: s.key, body });
const messageOf = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;
const conversationsOf = async (s) => (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;

async function withContact(s, from = nextNumber()) {
  assert.equal((await post(s.channel, inbound(from, "Oi"))).status, 200);
  const [conversation] = await conversationsOf(s);
  return { from, conversation };
}

describe("twilio: inbound", () => {
  test("a webhook is stored exactly once: three deliveries and six concurrent ones give one message, each answered with TwiML", async () => {
    const s = await setup();
    const from = nextNumber();
    const payload = inbound(from, "Quero saber do pedido 4521");
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(s.channel, payload));
    answers.push(...(await Promise.all(Array.from({ length: 6 }, () => post(s.channel, payload)))));
    for (const res of answers) {
      assert.equal(res.status, 200, res.text);
      assert.match(res.text, /<Response\/>$/);
    }
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1);
    assert.deepEqual([messages[0].provider_message_id, messages[0].direction, messages[0].text], [payload.MessageSid, "inbound", "Quero saber do pedido 4521"]);
    const [conversation] = await conversationsOf(s);
    const contact = (await call(ponte, "GET", `/v1/contacts/${conversation.contact.id}`, { key: s.key })).json;
    assert.ok(contact.identities.includes(`phone:${from}`), JSON.stringify(contact.identities));
    assert.ok(contact.identities.includes(`wa:${from.slice(1)}`), JSON.stringify(contact.identities));
  });

  test("one person writing by WhatsApp and by SMS is one contact with two conversations", async () => {
    const s = await setup();
    const sms = await channelIn(s.key, SMS_FROM);
    const from = nextNumber();
    assert.equal((await post(s.channel, inbound(from, "pelo WhatsApp"))).status, 200);
    assert.equal((await post(sms, inbound(from, "por SMS", { whatsapp: false }))).status, 200);
    const conversations = await conversationsOf(s);
    assert.equal(conversations.length, 2);
    assert.equal(new Set(conversations.map((c) => c.contact.id)).size, 1);
  });

  test("a forged, missing or misdirected signature is refused with 401 and logged; nothing is stored", async () => {
    const s = await setup();
    const payload = inbound(nextNumber(), "forjado");
    const other = { ...s.channel, webhook_url: s.channel.webhook_url.replace(/[^/]+$/, "another-token") };
    const wrongKey = signTwilio("not-the-auth-token", s.channel.webhook_url, Object.entries(payload));
    for (const attempt of [{ signature: null }, { signature: wrongKey }, { signature: signTwilio(AUTH_TOKEN, other.webhook_url, Object.entries(payload)) }]) {
      const res = await post(s.channel, payload, attempt);
      assert.equal(res.status, 401, res.text);
      assert.ok(!res.text.includes(AUTH_TOKEN));
    }
    // Signed, then changed in transit.
    const sig = signTwilio(AUTH_TOKEN, s.channel.webhook_url, Object.entries(payload));
    assert.equal((await post(s.channel, { ...payload, Body: "alterado" }, { signature: sig })).status, 401);
    assert.equal((await allMessages(ponte, s.key)).length, 0);
    const events = (await call(ponte, "GET", "/v1/webhook-events", { key: s.key })).json.data;
    assert.equal(events.length, 4);
    assert.ok(events.every((e) => e.outcome === "rejected" && e.http_status === 401 && e.signature_ok === false));
  });
});

describe("twilio: statuses and sends", () => {
  test("statuses move forward only, in any order; a failure carries Twilio's error", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Pedido saiu" } });
    assert.equal(res.status, 201, res.text);
    const id = res.json.provider_message_id;
    assert.match(id, /^SM[0-9a-f]{32}$/);
    for (const status of ["read", "queued", "sent", "delivered", "sending", "read", "sent"]) {
      assert.equal((await post(s.channel, statusOf(id, status, `whatsapp:${from}`))).status, 200);
    }
    assert.equal((await messageOf(s, res.json.id)).status, "read");

    const second = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Outra" } });
    const failed = statusOf(second.json.provider_message_id, "undelivered", `whatsapp:${from}`, { ErrorCode: "63016" });
    assert.equal((await post(s.channel, failed)).status, 200);
    assert.equal((await post(s.channel, statusOf(second.json.provider_message_id, "delivered", `whatsapp:${from}`))).status, 200);
    const message = await messageOf(s, second.json.id);
    assert.equal(message.status, "failed");
    assert.match(JSON.stringify(message.error), /63016|24-hour window/);
  });

  test("sends reach Twilio as the documented form with basic auth, and its signed StatusCallbacks come back", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    twilio.follow(["sent", "delivered", "read"]);
    const basic = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
    const cases = [
      [{ type: "text", text: { body: "Olá & até já" } }, { Body: "Olá & até já" }],
      [{ type: "image", image: { link: "https://cdn.example.com/p/4521.jpg?s=1&t=2", caption: "Seu pedido" } }, { Body: "Seu pedido", MediaUrl: "https://cdn.example.com/p/4521.jpg?s=1&t=2" }],
    ];
    const sent = [];
    for (const [body, fields] of cases) {
      const before = twilio.calls.length;
      const res = await send(s, { conversation_id: conversation.id, ...body });
      assert.equal(res.status, 201, res.text);
      const made = twilio.calls.slice(before);
      assert.equal(made.length, 1);
      assert.equal(made[0].path, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
      assert.equal(made[0].headers.authorization, basic);
      assert.match(made[0].headers["content-type"], /^application\/x-www-form-urlencoded/);
      assert.deepEqual(made[0].form, { To: `whatsapp:${from}`, From: WA_FROM, ...fields, StatusCallback: s.channel.webhook_url });
      sent.push(res.json.id);
    }
    // Twilio signs its callbacks over the StatusCallback URL: accepted, they move both sends on.
    for (const id of sent) await eventually(async () => assert.equal((await messageOf(s, id)).status, "read"));
    twilio.follow(null);
    const template = await send(s, { conversation_id: conversation.id, type: "template", template: { name: "order_update", language: { code: "pt_BR" } } });
    assert.equal(template.status, 422, template.text);
  });

  test("a transient failure is retried until it is sent; a permanent one fails with Twilio's reason", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    twilio.script(`whatsapp:${from}`, answers.serverError());
    const retried = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Tentando" } });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.json.status, "queued");
    await eventually(async () => assert.equal((await messageOf(s, retried.json.id)).status, "sent"));

    twilio.script(`whatsapp:${from}`, answers.unsubscribed());
    const refused = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Recusado" } });
    assert.equal(refused.status, 502, refused.text);
    assert.match(refused.json.detail, /Attempt to send to unsubscribed recipient/);
    assert.equal(refused.json.message.status, "failed");
    assert.equal((await messageOf(s, refused.json.message.id)).status, "failed");
  });
});
