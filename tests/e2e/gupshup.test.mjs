// GupShup end to end, on the real Workers, with a local emulator playing GupShup's WhatsApp
// API: v2 callbacks stored exactly once, statuses forward-only and found by GupShup's id or, a
// week on, by WhatsApp's alone, v3 bodies, sends in the documented form with the apikey header
// and the message-events that follow them, the 24-hour window, retries and refusals.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { API_KEY, APP_NAME, answers, inboundMessage, messageEvent, startGupshup, whatsappId } from "../../tools/gupshup-emulator.mjs";
import { allMessages, call, createChannel, createTenant, eventually, startPonte } from "./harness.mjs";

const SOURCE = "551140028922";
let ponte;
let gupshup;
let numbers = 0;
// Distinct senders keep one test's scripted answers from reaching another's sends.
const nextNumber = () => `55119${String(7300000 + ++numbers * 97).padStart(8, "0")}`;

before(async () => {
  gupshup = await startGupshup();
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: 3, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
});
after(async () => {
  ponte?.stop();
  await gupshup?.stop();
});

async function setup() {
  const tenant = await createTenant(ponte);
  const channel = await createChannel(ponte, tenant.api_key, {
    provider: "gupshup",
    config: { base_url: gupshup.baseUrl, app_name: APP_NAME, source: `+${SOURCE}` },
    secrets: { api_key: API_KEY },
  });
  return { key: tenant.api_key, channel };
}

const post = (s, body) => call(ponte, "POST", s.channel.path, { body, headers: { "content-type": "application/json" } });
const send = (s, body) => call(ponte, "POST", "/v1/messages", { key: s.key, body });
const messageOf = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;
const conversationsOf = async (s) => (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;
const text = (from, body, extra = {}) => inboundMessage({ from, payload: { text: body }, ...extra });

async function withContact(s, from = nextNumber(), at = Date.now()) {
  assert.equal((await post(s, text(from, "Oi", { at }))).status, 200);
  const [conversation] = await conversationsOf(s);
  return { from, conversation };
}

describe("gupshup: inbound", () => {
  test("a callback is stored exactly once: three deliveries and six concurrent ones give one message", async () => {
    const s = await setup();
    const from = nextNumber();
    const payload = text(from, "Quero saber do pedido 4521");
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await post(s, payload));
    results.push(...(await Promise.all(Array.from({ length: 6 }, () => post(s, payload)))));
    for (const res of results) assert.equal(res.status, 200, res.text);
    const messages = await allMessages(ponte, s.key);
    assert.equal(messages.length, 1);
    assert.deepEqual([messages[0].provider_message_id, messages[0].direction, messages[0].text], [payload.payload.id, "inbound", "Quero saber do pedido 4521"]);
    const [conversation] = await conversationsOf(s);
    const contact = (await call(ponte, "GET", `/v1/contacts/${conversation.contact.id}`, { key: s.key })).json;
    assert.ok(contact.identities.includes(`phone:+${from}`), JSON.stringify(contact.identities));
    assert.equal(contact.name, "Maria Souza");
  });

  test("files, choices, other apps' callbacks ignored, and a body that is no callback kept as unprocessable", async () => {
    const s = await setup();
    const from = nextNumber();
    const image = inboundMessage({ from, type: "image", payload: { url: "https://filemanager.gupshup.io/wa/x/wa/media/img?download=false", contentType: "image/jpeg", caption: "a foto" } });
    const choice = inboundMessage({ from, type: "list_reply", payload: { title: "Entrega", id: "list1", reply: "Entrega 1", postbackText: "topic-delivery" } });
    for (const body of [image, choice]) assert.equal((await post(s, body)).status, 200);
    const other = await post(s, text(from, "not ours", { app: "SomeoneElsesApp" }));
    assert.equal(other.status, 200, other.text);
    // Kept to be replayed, and answered 200 so that GupShup does not resend the same bytes.
    const broken = await post(s, "{not json");
    assert.equal(broken.status, 200, broken.text);
    assert.match(broken.json.unprocessable, /not valid JSON/);
    const messages = await allMessages(ponte, s.key);
    assert.deepEqual(messages.map((m) => m.type).sort(), ["image", "interactive"]);
    const events = (await call(ponte, "GET", "/v1/webhook-events", { key: s.key })).json.data;
    assert.ok(events.some((e) => e.ignored_count === 1 && e.message_count === 0 && e.body_bytes > 200), JSON.stringify(events));
    assert.ok(events.some((e) => e.outcome === "unprocessable"), JSON.stringify(events));
  });
});

describe("gupshup: statuses and sends", () => {
  test("statuses move forward only, in any order, found by GupShup's id or by WhatsApp's alone", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Pedido saiu" } });
    assert.equal(res.status, 201, res.text);
    const gsId = res.json.provider_message_id;
    const waId = whatsappId();
    const event = (type) => messageEvent({ gsId, waId, type, destination: from });
    for (const type of ["delivered", "enqueued", "sent", "delivered", "sent"]) {
      assert.equal((await post(s, event(type))).status, 200);
    }
    assert.equal((await messageOf(s, res.json.id)).status, "delivered");
    // A week on, GupShup names the message by WhatsApp's id alone.
    const late = messageEvent({ waId, type: "read", destination: from });
    assert.equal(late.payload.gsId, undefined);
    assert.equal((await post(s, late)).status, 200);
    assert.equal((await messageOf(s, res.json.id)).status, "read");
    assert.equal((await post(s, event("delivered"))).status, 200);
    assert.equal((await messageOf(s, res.json.id)).status, "read");

    const second = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Outra" } });
    const failed = messageEvent({ gsId: second.json.provider_message_id, type: "failed", destination: from, extra: { code: 1002, reason: "Number Does Not Exists On WhatsApp" } });
    assert.equal((await post(s, failed)).status, 200);
    assert.equal((await post(s, messageEvent({ gsId: second.json.provider_message_id, waId: whatsappId(), type: "delivered", destination: from }))).status, 200);
    const message = await messageOf(s, second.json.id);
    assert.equal(message.status, "failed");
    assert.match(JSON.stringify(message.error), /Number Does Not Exists On WhatsApp/);
  });

  test("a v3 callback's statuses name our send by gs_id, and its messages are stored", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "v3" } });
    const wamid = `wamid.${whatsappId()}`;
    const v3 = (status) => ({
      entry: [{ changes: [{ field: "messages", value: { messaging_product: "whatsapp", statuses: [{ gs_id: res.json.provider_message_id, id: wamid, recipient_id: from, status, timestamp: Date.now() }] } }], id: "1" }],
      gs_app_id: "82ed52f4-30c0-4f12-81b4-e7ad07bd41de", object: "whatsapp_business_account",
    });
    assert.equal((await post(s, v3("enqueued"))).status, 200);
    assert.equal((await post(s, v3("delivered"))).status, 200);
    assert.equal((await messageOf(s, res.json.id)).status, "delivered");
    const inbound = {
      entry: [{ changes: [{ field: "messages", value: { messaging_product: "whatsapp", contacts: [{ profile: { name: "Maria Souza" }, wa_id: from }], messages: [{ from, id: `wamid.${whatsappId()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: "text", text: { body: "pela v3" } }] } }], id: "1" }],
      gs_app_id: "82ed52f4-30c0-4f12-81b4-e7ad07bd41de", object: "whatsapp_business_account",
    };
    assert.equal((await post(s, inbound)).status, 200);
    const texts = (await allMessages(ponte, s.key)).map((m) => m.text);
    assert.ok(texts.includes("pela v3"), JSON.stringify(texts));
    assert.equal((await conversationsOf(s)).length, 1, "the same person, one conversation");
  });

  test("each kind of send reaches GupShup as the documented form with the apikey, and its events come back", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    gupshup.follow(["enqueued", "sent", "delivered", "read"], s.channel.webhook_url);
    const link = "https://cdn.example.com/p/4521.jpg?s=1&t=2";
    const cases = [
      [{ type: "text", text: { body: "Olá & até já" } }, { type: "text", text: "Olá & até já", previewUrl: false }],
      [{ type: "image", image: { link, caption: "Seu pedido" } }, { type: "image", originalUrl: link, previewUrl: link, caption: "Seu pedido" }],
      [{ type: "document", document: { link, filename: "nota.pdf" } }, { type: "file", url: link, filename: "nota.pdf" }],
      [{ type: "location", location: { latitude: -23.55, longitude: -46.63, name: "Sé" } }, { type: "location", latitude: -23.55, longitude: -46.63, name: "Sé" }],
    ];
    const sent = [];
    for (const [body, message] of cases) {
      const before = gupshup.calls.length;
      const res = await send(s, { conversation_id: conversation.id, ...body });
      assert.equal(res.status, 201, res.text);
      const made = gupshup.calls.slice(before);
      assert.equal(made.length, 1);
      assert.equal(made[0].path, "/wa/api/v1/msg");
      assert.equal(made[0].headers.apikey, API_KEY);
      assert.match(made[0].headers["content-type"], /^application\/x-www-form-urlencoded/);
      const { message: json, ...form } = made[0].form;
      assert.deepEqual(form, { channel: "whatsapp", source: SOURCE, destination: from, "src.name": APP_NAME });
      assert.deepEqual(JSON.parse(json), message);
      sent.push(res.json.id);
    }
    for (const id of sent) await eventually(async () => assert.equal((await messageOf(s, id)).status, "read"));
    gupshup.follow(null);
    const inbound = (await allMessages(ponte, s.key)).find((m) => m.direction === "inbound");
    const before = gupshup.calls.length;
    const reaction = await send(s, { conversation_id: conversation.id, type: "reaction", reaction: { message_id: inbound.id, emoji: "👍" } });
    assert.equal(reaction.status, 201, reaction.text);
    assert.deepEqual(JSON.parse(gupshup.calls[before].form.message), { type: "reaction", msgId: inbound.provider_message_id, emoji: "👍" });
    const template = await send(s, { conversation_id: conversation.id, type: "template", template: { name: "order_update", language: { code: "pt_BR" } } });
    assert.equal(template.status, 422, template.text);
  });

  test("a free-form message to a contact silent for over 24 h is 422 and reaches no one", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s, nextNumber(), Date.now() - 25 * 3600 * 1000);
    const before = gupshup.calls.length;
    const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Ainda aí?" } });
    assert.equal(res.status, 422, res.text);
    assert.equal(gupshup.calls.slice(before).filter((c) => c.form.destination === from).length, 0);
  });

  test("a transient failure is retried until it is sent; a permanent one fails with GupShup's reason", async () => {
    const s = await setup();
    const { from, conversation } = await withContact(s);
    gupshup.script(from, answers.serverError());
    const retried = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Tentando" } });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.json.status, "queued");
    await eventually(async () => assert.equal((await messageOf(s, retried.json.id)).status, "sent"));

    gupshup.script(from, answers.invalidDestination());
    const refused = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Recusado" } });
    assert.equal(refused.status, 502, refused.text);
    assert.match(refused.json.detail, /Invalid Destination/);
    assert.equal(refused.json.message.status, "failed");
    assert.equal((await messageOf(s, refused.json.message.id)).status, "failed");
  });
});
