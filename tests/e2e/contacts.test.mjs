// The contacts API end to end: a contact found by name, email, any written form of its number or
// any identity, and by a link to a business record; what the business keeps about it (name,
// email, attributes merged as a JSON merge patch, blocked, links), each wrong field named; its
// conversations; and a conversation opened from a CRM without sending.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { startGraph } from "../../tools/graph-emulator.mjs";
import { envelope, metaText } from "../../tools/meta-payloads.mjs";
import { call, createChannel, createMetaChannel, createTenant, d1File, postWebhook, startPonte } from "./harness.mjs";

let ponte;
let graph;
let phoneIds = 0;

before(async () => {
  [ponte, graph] = await Promise.all([startPonte(), startGraph()]);
});
after(async () => {
  ponte?.stop();
  await graph?.stop();
});

async function metaChannel(key, { defaultCountry } = {}) {
  const phoneNumberId = `1003004000${String(++phoneIds).padStart(5, "0")}`;
  const accessToken = `EAAG-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  return createMetaChannel(ponte, key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl, defaultCountry });
}

/** A tenant whose Meta channel heard from `from` (an old Brazilian mobile, without its ninth digit). */
async function setup({ from = "551187650001", name = "Joana Prado", writtenAgoMs = 60_000 } = {}) {
  const { api_key: key } = await createTenant(ponte);
  const channel = await metaChannel(key);
  const res = await postWebhook(ponte, channel, metaText({ from, name, ts: Date.now() - writtenAgoMs, phoneNumberId: channel.phoneNumberId }));
  assert.equal(res.status, 200, res.text);
  const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key })).json.data;
  return { key, channel, conversation, contactId: conversation.contact.id };
}

const get = (s, path) => call(ponte, "GET", path, { key: s.key });
const patch = (s, body, id = s.contactId) => call(ponte, "PATCH", `/v1/contacts/${id}`, { key: s.key, body });
const found = async (s, query) => (await get(s, `/v1/contacts?query=${encodeURIComponent(query)}`)).json.data.map((c) => c.id);

describe("contacts: search", () => {
  test("a contact is found by name, by every written form of its number, by an identity and by email", async () => {
    const s = await setup();
    await postWebhook(ponte, s.channel, metaText({ from: "5511933330002", name: "Outra Pessoa", phoneNumberId: s.channel.phoneNumberId }));
    for (const query of ["joana", "PRADO", "+55 (11) 98765-0001", "5511987650001", "551187650001", "+55 11 8765-0001", "8765-0001", "wa:551187650001"]) {
      assert.deepEqual(await found(s, query), [s.contactId], query);
    }
    assert.equal((await patch(s, { email: "Joana@Example.com" })).status, 200);
    assert.deepEqual(await found(s, "joana@example.COM"), [s.contactId]);
    assert.deepEqual(await found(s, "example.com"), [s.contactId], "part of the email");
    assert.deepEqual(await found(s, "ninguém"), []);
    const all = await get(s, "/v1/contacts?limit=1");
    assert.equal(all.json.data.length, 1);
    const next = await get(s, `/v1/contacts?limit=1&cursor=${all.json.next_cursor}`);
    assert.equal(next.json.data.length, 1);
    assert.notEqual(next.json.data[0].id, all.json.data[0].id);
    assert.equal(next.json.next_cursor, null);
    assert.equal((await get(s, "/v1/contacts?cursor=garbage")).status, 400);
    assert.equal((await get(s, `/v1/contacts?query=${"x".repeat(101)}`)).status, 400);
  });

  test("a link to a business record finds its one contact; a record names one contact per tenant", async () => {
    const s = await setup();
    const ref = { system: "odoo", type: "res.partner", id: "42" };
    const res = await patch(s, { external_refs: [ref, ref, { system: "hubspot", type: "contact", id: "a:b/7" }] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.external_refs, [{ system: "hubspot", type: "contact", id: "a:b/7" }, ref], "sorted, once each");
    assert.deepEqual((await get(s, "/v1/contacts?external=odoo:res.partner:42")).json.data.map((c) => c.id), [s.contactId]);
    assert.deepEqual((await get(s, "/v1/contacts?external=hubspot:contact:a:b/7")).json.data.map((c) => c.id), [s.contactId]);
    assert.deepEqual((await get(s, "/v1/contacts?external=odoo:res.partner:43")).json.data, []);
    assert.equal((await get(s, "/v1/contacts?external=odoo")).status, 400);

    await postWebhook(ponte, s.channel, metaText({ from: "5511944440003", name: "Segundo", phoneNumberId: s.channel.phoneNumberId }));
    const [second] = await found(s, "Segundo");
    const taken = await patch(s, { external_refs: [ref] }, second);
    assert.equal(taken.status, 409, taken.text);
    assert.match(taken.json.detail, new RegExp(s.contactId));
    assert.equal((await patch(s, { email: "x@y.com" })).status, 200);
    assert.equal((await patch(s, { email: "X@y.com" }, second)).status, 409, "an email names one contact");
    // Dropping the links frees the record for the other contact.
    assert.equal((await patch(s, { external_refs: [] })).status, 200);
    assert.equal((await patch(s, { external_refs: [ref] }, second)).status, 200);
    assert.deepEqual((await get(s, "/v1/contacts?external=odoo:res.partner:42")).json.data.map((c) => c.id), [second]);
  });
});

describe("contacts: what the business keeps", () => {
  test("name, email and attributes change; attributes merge, null removes, and each wrong field is named", async () => {
    const s = await setup();
    let res = await patch(s, { name: "  Joana P. ", attributes: { plan: "gold", address: { city: "SP", zip: "01000" } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, "Joana P.");
    res = await patch(s, { attributes: { plan: null, address: { zip: null, street: "Sé" }, vip: true } });
    assert.deepEqual(res.json.attributes, { address: { city: "SP", street: "Sé" }, vip: true });
    const view = (await get(s, `/v1/contacts/${s.contactId}`)).json;
    assert.deepEqual(view.channels, [s.channel.id]);
    assert.ok(view.identities.includes("phone:+5511987650001") && view.identities.includes("wa:551187650001"), JSON.stringify(view.identities));
    res = await patch(s, { email: "joana@example.com" });
    assert.ok(res.json.identities.includes("email:joana@example.com"));
    res = await patch(s, { email: "nova@example.com" });
    assert.ok(res.json.identities.includes("email:nova@example.com") && !res.json.identities.includes("email:joana@example.com"), "the old email is no identity any more");
    res = await patch(s, { email: null, name: null });
    assert.equal(res.json.email, null);
    assert.equal(res.json.name, null);
    assert.ok(!res.json.identities.some((i) => i.startsWith("email:")));

    for (const [body, field] of [[{ name: "" }, "name"], [{ email: "not-an-email" }, "email"], [{ attributes: [1] }, "attributes"],
      [{ attributes: { big: "x".repeat(17 * 1024) } }, "attributes"], [{ external_refs: [{ system: "o doo", type: "p", id: "1" }] }, "external_refs[0].system"]]) {
      res = await patch(s, body);
      assert.equal(res.status, 422, `${JSON.stringify(body).slice(0, 60)}: ${res.text}`);
      assert.equal(res.json.field, field);
    }
    assert.equal((await patch(s, { nickname: "J" })).status, 422, "an unknown field");
    assert.equal((await call(ponte, "PATCH", `/v1/contacts/${s.contactId}`, { key: s.key, body: "{" , headers: { "content-type": "application/json" } })).status, 400);
    assert.equal((await patch(s, { name: "x" }, "ct_doesnotexist")).status, 404);
    assert.deepEqual((await get(s, `/v1/contacts/${s.contactId}`)).json.attributes, { address: { city: "SP", street: "Sé" }, vip: true }, "a refused change changed nothing");
  });

  test("a blocked contact's inbound is stored but marked, not unread and reopening nothing; its sends are refused with 422 until unblocked", async () => {
    const s = await setup();
    await call(ponte, "PATCH", `/v1/conversations/${s.conversation.id}`, { key: s.key, body: { status: "resolved" } });
    await call(ponte, "POST", `/v1/conversations/${s.conversation.id}/read`, { key: s.key });
    const before = (await get(s, `/v1/conversations/${s.conversation.id}`)).json;
    assert.equal((await patch(s, { blocked: true })).json.blocked, true);
    const text = { conversation_id: s.conversation.id, type: "text", text: { body: "Olá" } };
    let res = await call(ponte, "POST", "/v1/messages", { key: s.key, body: text });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.field, "conversation_id");
    assert.match(res.json.detail, /blocked/);
    res = await call(ponte, "POST", "/v1/messages", { key: s.key, body: { channel_id: s.channel.id, to: "+55 11 98765-0001", type: "text", text: { body: "Olá" } } });
    assert.equal(res.status, 422, "by number too");
    assert.equal(graph.callsTo("551187650001").length + graph.callsTo("5511987650001").length, 0);
    await postWebhook(ponte, s.channel, metaText({ from: "551187650001", body: "ainda aqui", phoneNumberId: s.channel.phoneNumberId }));
    const messages = (await get(s, `/v1/conversations/${s.conversation.id}/messages`)).json.data;
    assert.equal(messages.find((m) => m.text === "ainda aqui")?.from_blocked_contact, true, "stored and marked");
    assert.ok(messages.filter((m) => m.text !== "ainda aqui").every((m) => m.from_blocked_contact === undefined), "earlier ones are not");
    const after = (await get(s, `/v1/conversations/${s.conversation.id}`)).json;
    assert.equal(after.status, "resolved", "not reopened");
    assert.equal(after.unread_count, before.unread_count, "not unread");
    assert.equal(after.last_message.preview, "ainda aqui", "but shown as the latest");
    assert.equal((await patch(s, { blocked: false })).json.blocked, false);
    res = await call(ponte, "POST", "/v1/messages", { key: s.key, body: text });
    assert.equal(res.status, 201, res.text);
    await postWebhook(ponte, s.channel, metaText({ from: "551187650001", body: "voltei", phoneNumberId: s.channel.phoneNumberId }));
    const unblocked = (await get(s, `/v1/conversations/${s.conversation.id}`)).json;
    assert.equal(unblocked.status, "open", "unblocked, a message reopens it");
    assert.equal(unblocked.unread_count, before.unread_count + 1);
  });
});

describe("contacts: conversations", () => {
  test("a contact's conversations, and one opened from a CRM by contact or number without sending", async () => {
    const s = await setup();
    const second = await metaChannel(s.key);
    let res = await call(ponte, "POST", "/v1/conversations", { key: s.key, body: { channel_id: second.id, contact_id: s.contactId } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.contact.id, s.contactId);
    const again = await call(ponte, "POST", "/v1/conversations", { key: s.key, body: { channel_id: second.id, contact_id: s.contactId } });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, res.json.id);
    const list = (await get(s, `/v1/contacts/${s.contactId}/conversations`)).json.data;
    assert.deepEqual(list.map((c) => c.channel_id).sort(), [s.channel.id, second.id].sort());
    // The same person typed with the ninth digit is the same contact and conversation.
    res = await call(ponte, "POST", "/v1/conversations", { key: s.key, body: { channel_id: s.channel.id, to: "+55 (11) 98765-0001" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, s.conversation.id);
    res = await call(ponte, "POST", "/v1/conversations", { key: s.key, body: { channel_id: s.channel.id, to: "+55 21 99876-5432" } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.contact.phone, "+5521998765432");
    // Opened, never written to: the first send meets the window's rules.
    const send = await call(ponte, "POST", "/v1/messages", { key: s.key, body: { conversation_id: res.json.id, type: "text", text: { body: "Oi" } } });
    assert.equal(send.status, 422, send.text);
    assert.match(send.json.detail, /24 hours/);
  });

  test("opening names what is wrong: the channel, the contact, both or neither, a channel that cannot reach them", async () => {
    const s = await setup();
    const telegram = await createChannel(ponte, s.key, { provider: "telegram", config: { base_url: "http://127.0.0.1:9" }, secrets: { bot_token: "1:abc" } });
    for (const [body, field] of [
      [{ channel_id: "chn_doesnotexist", to: "+5511987650001" }, "channel_id"],
      [{ channel_id: s.channel.id, contact_id: "ct_doesnotexist" }, "contact_id"],
      [{ channel_id: s.channel.id }, "contact_id"],
      [{ channel_id: s.channel.id, contact_id: s.contactId, to: "+5511987650001" }, "contact_id"],
      [{ channel_id: s.channel.id, to: "not a number" }, "to"],
      [{ channel_id: telegram.id, contact_id: s.contactId }, "contact_id"],
      [{ channel_id: telegram.id, to: "+5511987650001" }, "to"],
    ]) {
      const res = await call(ponte, "POST", "/v1/conversations", { key: s.key, body });
      assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.field, field, JSON.stringify(body));
    }
    assert.equal((await get(s, `/v1/contacts/${s.contactId}/conversations`)).json.data.length, 1, "nothing was opened");
    assert.equal((await get(s, "/v1/contacts/ct_doesnotexist/conversations")).status, 404);
  });
});

describe("conversations: search", () => {
  test("a conversation is found by words of its messages, accents folded, and by the contact's email; FTS syntax is only text", async () => {
    const s = await setup();
    await postWebhook(ponte, s.channel, metaText({ from: "551187650001", body: "Quero saber do Pédido 4521, não chegou", phoneNumberId: s.channel.phoneNumberId }));
    await postWebhook(ponte, s.channel, metaText({ from: "5511944440009", name: "Outro", body: "bom dia", phoneNumberId: s.channel.phoneNumberId }));
    const search = async (query) => (await get(s, `/v1/conversations?query=${encodeURIComponent(query)}`)).json.data.map((c) => c.id);
    assert.deepEqual(await search("pedido 4521"), [s.conversation.id]);
    assert.deepEqual(await search("NAO chegou"), [s.conversation.id]);
    assert.deepEqual(await search("pedido bom"), [], "every word must be in one message");
    assert.equal((await search("bom dia")).length, 1);
    await patch(s, { email: "joana@example.com" });
    assert.deepEqual(await search("joana@example"), [s.conversation.id]);
    for (const odd of ['"', "pedido OR bom", "pe*", "NEAR(a b)", "-x", "a:b"]) {
      const res = await get(s, `/v1/conversations?query=${encodeURIComponent(odd)}`);
      assert.equal(res.status, 200, `${odd}: ${res.text}`);
    }
    assert.deepEqual(await search("pedido OR bom"), [], "OR is a word here, not an operator");
  });

  test("the index keeps up: an edit before or after a message is indexed, and the minute's job indexing on its own", async () => {
    const s = await setup();
    const from = "551187650001";
    const contacts = [{ profile: { name: "Joana Prado" }, wa_id: from }];
    const at = Date.now() - 30_000;
    const edit = (n, body) => envelope({ contacts, messages: [{ from, id: `wamid.IX-edit${n}-${s.contactId}`, timestamp: String(Math.floor((at + n * 1000) / 1000)), type: "edit", edit: { original_message_id: `wamid.IX1-${s.contactId}`, message: { type: "text", text: { body } } } }] }, s.channel.phoneNumberId);
    const search = async (query) => (await get(s, `/v1/conversations?query=${encodeURIComponent(query)}`)).json.data.map((c) => c.id);
    await postWebhook(ponte, s.channel, metaText({ from, id: `wamid.IX1-${s.contactId}`, body: "Quero duas camisas", ts: at, phoneNumberId: s.channel.phoneNumberId }));
    await postWebhook(ponte, s.channel, edit(1, "Quero tres camisas"));
    assert.deepEqual(await search("tres camisas"), [s.conversation.id], "edited before it was indexed: found by its new text");
    assert.deepEqual(await search("duas camisas"), [], "and not by its old");
    await postWebhook(ponte, s.channel, edit(2, "Quero quatro camisas"));
    assert.deepEqual(await search("quatro camisas"), [s.conversation.id], "edited after it was indexed: found by its new text");
    assert.deepEqual(await search("tres camisas"), [], "and not by its old");

    const word = `boleto${s.contactId.replace(/[^a-z0-9]/gi, "")}`;
    await postWebhook(ponte, s.channel, metaText({ from, body: `Segue o ${word}`, phoneNumberId: s.channel.phoneNumberId }));
    const indexed = () => {
      const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
      try {
        return db.prepare("SELECT COUNT(*) AS n FROM messages_fts WHERE messages_fts MATCH ?").get(word).n;
      } finally {
        db.close();
      }
    };
    assert.equal(indexed(), 0, "a delivery leaves indexing to later");
    const res = await fetch(`${ponte.base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    assert.equal(res.status, 200, await res.text());
    assert.equal(indexed(), 1, "the minute's job indexed it");
    assert.deepEqual(await search(word), [s.conversation.id]);
  });
});

describe("a channel's default country", () => {
  test("a Brazilian channel reads national numbers in sends and in opening a conversation; one without a country refuses them", async () => {
    const { api_key: key } = await createTenant(ponte);
    const brazilian = await metaChannel(key, { defaultCountry: "+55" });
    assert.equal(brazilian.config.default_country, "55", "kept without its plus");
    assert.equal((await call(ponte, "GET", `/v1/channels/${brazilian.id}`, { key })).json.config.default_country, "55");
    // 0xx with the carrier left open, as Brazilians write long distance; sent as digits.
    const send = { channel_id: brazilian.id, to: "0xx11 98765-0042", type: "template", template: { name: "hello_world", language: { code: "pt_BR" } } };
    let res = await call(ponte, "POST", "/v1/messages", { key, body: send });
    assert.equal(res.status, 201, res.text);
    const sentTo = await eventuallyCalled("5511987650042");
    assert.equal(sentTo.body.to, "5511987650042");
    // The same person written nationally, with and without the ninth digit, is that conversation.
    for (const to of ["(11) 98765-0042", "011 8765-0042", "+55 11 98765-0042"]) {
      res = await call(ponte, "POST", "/v1/conversations", { key, body: { channel_id: brazilian.id, to } });
      assert.equal(res.status, 200, `${to}: ${res.text}`);
      assert.equal(res.json.contact.phone, "+5511987650042", to);
    }
    res = await call(ponte, "POST", "/v1/conversations", { key, body: { channel_id: brazilian.id, to: "(99) 1234" } });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.field, "to");

    const plain = await metaChannel(key);
    assert.equal(plain.config.default_country, undefined);
    const elsewhere = { "/v1/messages": { ...send, channel_id: plain.id }, "/v1/conversations": { channel_id: plain.id, to: send.to } };
    for (const [path, body] of Object.entries(elsewhere)) {
      res = await call(ponte, "POST", path, { key, body });
      assert.equal(res.status, 422, `${path}: ${res.text}`);
      assert.equal(res.json.field, "to", path);
      assert.match(res.json.detail, /country code/, path);
    }
  });

  test("a contact search reads a national number in the countries the tenant's channels name", async () => {
    const search = async (key, query) => (await call(ponte, "GET", `/v1/contacts?query=${encodeURIComponent(query)}`, { key })).json.data.map((c) => c.phone);
    const tenants = [];
    for (const defaultCountry of ["55", undefined]) {
      const { api_key: key } = await createTenant(ponte);
      const channel = await metaChannel(key, { defaultCountry });
      const res = await postWebhook(ponte, channel, metaText({ from: "551187650055", name: "Dona Lurdes", phoneNumberId: channel.phoneNumberId }));
      assert.equal(res.status, 200, res.text);
      tenants.push(key);
    }
    const [brazilian, plain] = tenants;
    assert.deepEqual(await search(brazilian, "011 8765-0055"), ["+5511987650055"], "trunk 0, old eight digits: the same person");
    assert.deepEqual(await search(brazilian, "0xx11 98765-0055"), ["+5511987650055"]);
    assert.deepEqual(await search(plain, "011 8765-0055"), [], "no channel names a country to read it in");
  });

  test("a default country that is not a calling code is refused, naming the field", async () => {
    const { api_key: key } = await createTenant(ponte);
    for (const defaultCountry of ["BR", "0055", 55]) {
      const res = await call(ponte, "POST", "/v1/channels", { key, body: {
        provider: "meta", name: "Wrong country", config: { phone_number_id: "100300409999", default_country: defaultCountry },
        secrets: { access_token: "EAAG-x", app_secret: "s", verify_token: "v" },
      } });
      assert.equal(res.status, 422, `${defaultCountry}: ${res.text}`);
      assert.equal(res.json.field, "config.default_country");
    }
    assert.equal((await call(ponte, "GET", "/v1/channels", { key })).json.data.length, 0, "nothing was created");
  });
});

async function eventuallyCalled(to) {
  for (let i = 0; i < 100; i++) {
    const call = graph.callsTo(to)[0];
    if (call) return call;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the Graph emulator heard nothing for ${to}`);
}
