// One person, one contact, end to end: the ninth digit, the same number on Meta and on an
// Evolution channel, an `@lid` contact merged into the phone's when an Evolution or a Z-API
// message shows both, and two contacts merged by an agent. Nothing is lost, messages stay in order, merged-away ids read
// as the contact and conversation they became, and inboxes hear `contact.merged`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { API_KEY, INSTANCE, envelope, evolutionText, inboundId } from "../../tools/evolution-payloads.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";
import { CLIENT_TOKEN, INSTANCE_TOKEN } from "../../tools/zapi-emulator.mjs";
import { INSTANCE_ID as ZAPI_INSTANCE, zapiText } from "../../tools/zapi-payloads.mjs";
import { call, createChannel, createMetaChannel, createTenant, openSocket, postWebhook, startPonte } from "./harness.mjs";

let ponte;
let phoneIds = 0;

before(async () => {
  ponte = await startPonte();
});
after(() => ponte?.stop());

async function setup() {
  const { api_key: key } = await createTenant(ponte);
  const meta = await createMetaChannel(ponte, key, { phoneNumberId: `1004005000${String(++phoneIds).padStart(5, "0")}` });
  const evolution = await createChannel(ponte, key, { provider: "evolution", config: { base_url: "http://127.0.0.1:9", instance: INSTANCE }, secrets: { api_key: API_KEY } });
  return { key, meta, evolution };
}

const get = (s, path) => call(ponte, "GET", path, { key: s.key });
const contacts = async (s) => (await get(s, "/v1/contacts?limit=200")).json.data;
const conversations = async (s) => (await get(s, "/v1/conversations?limit=200")).json.data;
const texts = async (s, conversationId) => (await get(s, `/v1/conversations/${conversationId}/messages?limit=200`)).json.data.map((m) => m.text);
const metaSays = (s, from, body, ts) => postWebhook(ponte, s.meta, metaText({ from, body, ts, phoneNumberId: s.meta.phoneNumberId }));
const evolutionSays = (s, data) => call(ponte, "POST", s.evolution.path, { body: envelope("messages.upsert", data) });

describe("one person, one contact", () => {
  test("a number with and without its ninth digit is one contact and one conversation; a landline gains no digit", async () => {
    const s = await setup();
    assert.equal((await metaSays(s, "551187650011", "sem o nove")).status, 200);
    assert.equal((await metaSays(s, "5511987650011", "com o nove")).status, 200);
    assert.equal((await metaSays(s, "551133330011", "fixo")).status, 200);
    const all = await contacts(s);
    assert.deepEqual(all.map((c) => c.phone).sort(), ["+551133330011", "+5511987650011"]);
    assert.equal((await conversations(s)).length, 2);
  });

  test("the same person on Meta and on an Evolution channel is one contact with two conversations", async () => {
    const s = await setup();
    assert.equal((await metaSays(s, "5511987650012", "pelo Meta")).status, 200);
    assert.equal((await call(ponte, "POST", s.evolution.path, { body: evolutionText({ from: "5511987650012", body: "pelo Evolution" }) })).status, 200);
    const [contact] = await contacts(s);
    assert.equal((await contacts(s)).length, 1);
    const convs = (await get(s, `/v1/contacts/${contact.id}/conversations`)).json.data;
    assert.deepEqual(convs.map((c) => c.channel_id).sort(), [s.meta.id, s.evolution.id].sort());
  });

  test("an @lid contact is merged into the phone's when a message shows both: messages kept in order, old ids followed, inboxes told", async () => {
    const s = await setup();
    const lid = "208115126300013@lid";
    const phone = "5511987650013";
    const t0 = Date.now() - 60_000;
    const lidOnly = { key: { remoteJid: lid, fromMe: false, id: inboundId(), addressingMode: "lid" }, pushName: "Ana",
      message: { conversation: "primeira, só lid" }, messageType: "conversation", messageTimestamp: Math.floor(t0 / 1000) };
    assert.equal((await evolutionSays(s, lidOnly)).status, 200);
    assert.equal((await metaSays(s, phone, "segunda, pelo Meta", t0 + 10_000)).status, 200);
    const before = await contacts(s);
    assert.equal(before.length, 2, "two contacts until a message shows they are one");
    const lidContact = (await get(s, `/v1/contacts?query=${encodeURIComponent(`lid:${lid}`)}`)).json.data[0];
    const [lidConversation] = (await get(s, `/v1/contacts/${lidContact.id}/conversations`)).json.data;

    const socket = await openSocket(ponte, { token: s.key });
    const both = evolutionText({ from: phone, lid, body: "terceira, lid e número", ts: t0 + 20_000 });
    assert.equal((await call(ponte, "POST", s.evolution.path, { body: both })).status, 200);
    const event = await socket.next((f) => f.type === "contact.merged", 10_000);
    socket.close?.();
    const after = await contacts(s);
    assert.equal(after.length, 1, JSON.stringify(after));
    const survivor = after[0];
    assert.deepEqual([event.contact_id, event.merged_contact_id], [survivor.id, lidContact.id]);
    const view = (await get(s, `/v1/contacts/${survivor.id}`)).json;
    assert.ok(view.identities.includes(`lid:${lid}`) && view.identities.includes(`phone:+${phone}`), JSON.stringify(view.identities));
    const convs = (await get(s, `/v1/contacts/${survivor.id}/conversations`)).json.data;
    assert.deepEqual(convs.map((c) => c.channel_id).sort(), [s.meta.id, s.evolution.id].sort());
    const evolutionConversation = convs.find((c) => c.channel_id === s.evolution.id);
    assert.deepEqual(await texts(s, evolutionConversation.id), ["primeira, só lid", "terceira, lid e número"]);
    assert.equal(evolutionConversation.last_message.preview, "terceira, lid e número");

    // The merged-away ids read as what they became.
    const old = await get(s, `/v1/contacts/${lidContact.id}`);
    assert.equal(old.status, 200);
    assert.equal(old.json.id, survivor.id);
    const oldConversation = await get(s, `/v1/conversations/${lidConversation.id}`);
    assert.equal(oldConversation.json.id, evolutionConversation.id);
    assert.deepEqual(await texts(s, lidConversation.id), ["primeira, só lid", "terceira, lid e número"]);
  });

  test("a Z-API message naming a number and its senderLid merges the @lid contact into the number's, picture and all", async () => {
    const s = await setup();
    const zapi = await createChannel(ponte, s.key, { provider: "zapi", config: { base_url: "http://127.0.0.1:9", instance_id: ZAPI_INSTANCE },
      secrets: { instance_token: INSTANCE_TOKEN, client_token: CLIENT_TOKEN } });
    const lid = "208115126300016@lid";
    const phone = "5511987650016";
    const t0 = Date.now() - 60_000;
    const picture = "https://pps.whatsapp.net/v/t61.24694-24/lid-0016.jpg?oe=6A1B2C3D";
    assert.equal((await call(ponte, "POST", zapi.path, { body: { ...zapiText({ phone: lid, text: "pelo lid", ts: t0 }), photo: picture } })).status, 200);
    assert.equal((await metaSays(s, phone, "pelo número", t0 + 1000)).status, 200);
    assert.equal((await contacts(s)).length, 2);
    assert.equal((await call(ponte, "POST", zapi.path, { body: zapiText({ phone, chatLid: lid, text: "os dois", ts: t0 + 2000 }) })).status, 200);
    const all = await contacts(s);
    assert.equal(all.length, 1, JSON.stringify(all));
    const convs = (await get(s, `/v1/contacts/${all[0].id}/conversations`)).json.data;
    const onZapi = convs.find((c) => c.channel_id === zapi.id);
    assert.deepEqual(await texts(s, onZapi.id), ["pelo lid", "os dois"]);
    assert.equal(all[0].avatar_url, picture, "the survivor had no picture: it takes the merged-away contact's");
  });

  test("an agent merges two contacts: every message kept in order, the old id answers with the survivor; wrong asks are named", async () => {
    const s = await setup();
    const t0 = Date.now() - 60_000;
    await metaSays(s, "5511987650014", "do número pessoal", t0);
    await metaSays(s, "5511987650015", "do número do trabalho", t0 + 1000);
    await metaSays(s, "5511987650014", "de novo pessoal", t0 + 2000);
    const [work, personal] = await Promise.all(["5511987650015", "5511987650014"].map(async (n) => (await get(s, `/v1/contacts?query=${n}`)).json.data[0]));
    assert.equal((await call(ponte, "PATCH", `/v1/contacts/${work.id}`, { key: s.key, body: { email: "trabalho@example.com", attributes: { empresa: "ACME" } } })).status, 200);
    const res = await call(ponte, "POST", `/v1/contacts/${personal.id}/merge`, { key: s.key, body: { other: work.id } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, personal.id);
    assert.equal(res.json.email, "trabalho@example.com", "what the survivor lacked it takes");
    assert.deepEqual(res.json.attributes, { empresa: "ACME" });
    assert.ok(res.json.identities.includes("phone:+5511987650015"));
    const [conversation] = await conversations(s);
    assert.equal((await conversations(s)).length, 1);
    assert.deepEqual(await texts(s, conversation.id), ["do número pessoal", "do número do trabalho", "de novo pessoal"]);
    assert.equal(conversation.unread_count, 3);
    assert.equal((await get(s, `/v1/contacts/${work.id}`)).json.id, personal.id);
    // A message from the merged number lands in the survivor's conversation.
    await metaSays(s, "5511987650015", "depois do merge");
    assert.equal((await conversations(s)).length, 1);
    const sent = await call(ponte, "POST", `/v1/contacts/${work.id}/merge`, { key: s.key, body: { other: personal.id } });
    assert.equal(sent.status, 422, "already one");
    assert.equal(sent.json.field, "other");
    assert.equal((await call(ponte, "POST", `/v1/contacts/${personal.id}/merge`, { key: s.key, body: { other: "ct_doesnotexist" } })).status, 422);
    assert.equal((await call(ponte, "POST", "/v1/contacts/ct_doesnotexist/merge", { key: s.key, body: { other: personal.id } })).status, 404);
    assert.equal((await call(ponte, "POST", `/v1/contacts/${personal.id}/merge`, { key: s.key, body: {} })).status, 422);
  });
});
