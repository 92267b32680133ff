// Two tenants for the isolation matrix: A with data of every kind Ponte stores, B with a little
// of its own (so that its lists show filtering, not just emptiness), and the tools to tell whether
// an answer given to B holds any of A's data.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { envelope as evolutionEnvelope, INSTANCE, API_KEY } from "../../tools/evolution-payloads.mjs";
import { answers } from "../../tools/graph-emulator.mjs";
import { envelope, metaText } from "../../tools/meta-payloads.mjs";
import { call, createChannel, createTenant, d1File, eventually, signMeta } from "./harness.mjs";

export const SEND_MAX_ATTEMPTS = 2;
const unique = () => randomBytes(5).toString("hex");
const digits = (n) => Array.from(randomBytes(n), (b) => b % 10).join("");
const seconds = () => String(Math.floor(Date.now() / 1000));
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function ok(res, expected, what) {
  assert.equal(res.status, expected, `${what}: ${res.text}`);
  return res.json;
}

async function tokens(ponte, key, tag) {
  const mint = async (role) => (await ok(await call(ponte, "POST", "/v1/tokens", { key, body: { sub: `${tag}-${role}`, role } }), 201, "mint")).token;
  return { key, admin: await mint("admin"), agent: await mint("agent") };
}

/** A Meta channel on the Graph emulator, with its secrets kept for signing its webhooks. */
async function metaChannel(ponte, graph, key, tag, { businessAccountId } = {}) {
  const secrets = { access_token: `EAAG-${tag}-${unique()}`, app_secret: `app-secret-${tag}-${unique()}`, verify_token: `verify-${tag}-${unique()}` };
  const phoneNumberId = `2${digits(14)}`;
  graph.register(phoneNumberId, secrets.access_token);
  const channel = await createChannel(ponte, key, { provider: "meta", name: `Meta of ${tag} ${unique()}`, secrets,
    config: { phone_number_id: phoneNumberId, graph_base_url: graph.baseUrl, ...(businessAccountId ? { business_account_id: businessAccountId } : {}) } });
  return { ...channel, secrets, phoneNumberId, appSecret: secrets.app_secret };
}

export async function postMeta(ponte, channel, body, secret = channel.appSecret, headers = {}) {
  const raw = JSON.stringify(body);
  return call(ponte, "POST", channel.path, { body: raw, headers: { "x-hub-signature-256": signMeta(secret, raw), ...headers } });
}

const conversationsOf = async (ponte, key) => (await ok(await call(ponte, "GET", "/v1/conversations?limit=200", { key }), 200, "conversations")).data;
const messagesOf = async (ponte, key, id) => (await ok(await call(ponte, "GET", `/v1/conversations/${id}/messages?limit=200`, { key }), 200, "messages")).data;

/** The message whose provider id is `providerId`, once `ready(message)` holds. */
export function messageEventually(ponte, key, providerId, ready = () => true) {
  let last;
  return eventually(async () => {
    for (const c of await conversationsOf(ponte, key)) {
      const found = (await messagesOf(ponte, key, c.id)).find((m) => m.provider_message_id === providerId);
      last = found ?? last;
      if (found && ready(found)) return found;
    }
    throw new Error(`no settled message ${providerId}: ${JSON.stringify(last)}`);
  }, 40_000);
}

/** A Meta image message whose file the Graph emulator and the file host serve (or keep failing). */
async function metaImageArrives(ponte, { graph, host }, channel, { from, name, bytes, failing = false }) {
  const mediaId = digits(12);
  const url = host.put(`/isolation/${mediaId}`, bytes, "image/jpeg", { token: channel.secrets.access_token, failures: failing ? Array(20).fill(503) : [] });
  graph.registerMedia(mediaId, { urls: [url], mimeType: "image/jpeg", sha256: sha256(bytes), size: bytes.length, token: channel.secrets.access_token });
  const wamid = `wamid.IMG${unique()}`;
  const body = envelope({ contacts: [{ profile: { name }, wa_id: from }],
    messages: [{ from, id: wamid, timestamp: seconds(), type: "image", image: { id: mediaId, mime_type: "image/jpeg", sha256: sha256(bytes), caption: `caption of ${name}` } }] }, channel.phoneNumberId);
  await ok(await postMeta(ponte, channel, body), 200, "image webhook");
  try {
    return await messageEventually(ponte, channel.key, wamid, (m) => ["ready", "failed"].includes(m.media?.status));
  } catch (e) {
    const tried = host.calls.filter((c) => c.path === `/isolation/${mediaId}`).length;
    const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
    const row = db.prepare("SELECT id, status, attempts, claimed_until, error, updated_at FROM media WHERE source LIKE ?").get(`%${mediaId}%`);
    db.close();
    throw new Error(`${e.message}\nthe file host was asked ${tried} times (${JSON.stringify(host.calls.slice(-3))}); now ${Date.now()}; the row: ${JSON.stringify(row)}`);
  }
}

/**
 * Tenant A: a Meta channel with templates and a gateway (Evolution) channel with a session;
 * three contacts; inbound texts, an inbound image copied into R2 and one whose copy failed; an
 * outbound text sent with an Idempotency-Key and one that ran out of attempts (a dead letter);
 * an upload not sent yet; webhook events; admin and agent tokens.
 */
export async function seedTenantA(ponte, emulators) {
  const { graph, evolution } = emulators;
  const tag = `A${unique()}`;
  const tenant = await createTenant(ponte, `Tenant ${tag}`);
  const key = tenant.api_key;
  const businessAccountId = digits(15);
  const meta = { ...(await metaChannel(ponte, graph, key, tag, { businessAccountId })), key };
  const templateText = `Template of ${tag}: your order {{1}}`;
  graph.registerTemplates(businessAccountId, meta.secrets.access_token, [
    { name: `order_${tag.toLowerCase()}`, language: "pt_BR", components: [{ type: "BODY", text: templateText }] }]);
  const gateway = await createChannel(ponte, key, { provider: "evolution", name: `Evolution of ${tag}`,
    config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY } });
  await ok(await call(ponte, "POST", `/v1/channels/${gateway.id}/connect`, { key }), 200, "connect");

  const contacts = [1, 2, 3].map((i) => ({ phone: `55119${digits(8)}`, name: `Contact ${i} of ${tag}` }));
  const inboundText = `A secret inbound text ${tag}`;
  const inbound = metaText({ from: contacts[0].phone, name: contacts[0].name, body: inboundText, phoneNumberId: meta.phoneNumberId });
  await ok(await postMeta(ponte, meta, inbound), 200, "text webhook");
  const imageBytes = randomBytes(8192);
  const image = await metaImageArrives(ponte, emulators, meta, { from: contacts[0].phone, name: contacts[0].name, bytes: imageBytes });
  assert.equal(image.media.status, "ready", JSON.stringify(image.media));
  const failedImage = await metaImageArrives(ponte, emulators, meta, { from: contacts[1].phone, name: contacts[1].name, bytes: randomBytes(2048), failing: true });
  assert.equal(failedImage.media.status, "failed", JSON.stringify(failedImage.media));
  const gatewayText = `A secret gateway text ${tag}`;
  const evolutionInbound = { key: { remoteJid: `${contacts[2].phone}@s.whatsapp.net`, fromMe: false, id: `3EB0${unique().toUpperCase()}` },
    pushName: contacts[2].name, message: { conversation: gatewayText }, messageType: "conversation", messageTimestamp: Math.floor(Date.now() / 1000) };
  await ok(await call(ponte, "POST", gateway.path, { body: evolutionEnvelope("messages.upsert", evolutionInbound) }), 200, "evolution webhook");

  const byPhone = Object.fromEntries((await conversationsOf(ponte, key)).map((c) => [c.contact.phone, c]));
  const conversationOf = (contact) => byPhone[`+${contact.phone}`];
  // What A's business keeps about a contact: an email and a link to its ERP's record.
  const externalRef = { system: "odoo", type: "res.partner", id: `partner-${tag}` };
  contacts[0].email = `buyer-${tag.toLowerCase()}@a.example`;
  contacts[0].externalRef = externalRef;
  await ok(await call(ponte, "PATCH", `/v1/contacts/${conversationOf(contacts[0]).contact.id}`, { key,
    body: { email: contacts[0].email, external_refs: [externalRef], attributes: { segment: `gold-${tag}` } } }), 200, "contact patch");
  const sendRequest = { conversation_id: conversationOf(contacts[0]).id, type: "text", text: { body: `A secret outbound text ${tag}` } };
  const idempotencyKey = `order-${tag}`;
  const sent = await ok(await call(ponte, "POST", "/v1/messages", { key, body: sendRequest, headers: { "idempotency-key": idempotencyKey } }), 201, "send");
  graph.script(contacts[1].phone, ...Array.from({ length: SEND_MAX_ATTEMPTS }, answers.serverError));
  const doomed = await ok(await call(ponte, "POST", "/v1/messages", { key,
    body: { conversation_id: conversationOf(contacts[1]).id, type: "text", text: { body: `A secret doomed text ${tag}` } } }), 202, "doomed send");
  const deadLetters = await eventually(async () => {
    const letters = (await call(ponte, "GET", "/v1/dead-letters", { key })).json.data;
    assert.equal(letters.length, 1);
    return letters;
  }, 40_000);
  assert.equal(deadLetters[0].message_id, doomed.id);

  const uploadBytes = randomBytes(6000);
  const upload = await (await fetch(`${ponte.base}/v1/media?filename=${encodeURIComponent(`upload-of-${tag}.png`)}`, {
    method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "image/png" }, body: uploadBytes })).json();
  assert.match(upload.id, /^med_/);

  // Where A's pages continue: a cursor is opaque, but B may hold one of A's.
  const cursorOf = async (path) => (await ok(await call(ponte, "GET", path, { key }), 200, path)).next_cursor;
  const cursors = { conversations: await cursorOf("/v1/conversations?limit=1"), webhookEvents: await cursorOf("/v1/webhook-events?limit=1"),
    messages: await cursorOf(`/v1/conversations/${conversationOf(contacts[0]).id}/messages?limit=1`) };
  assert.ok(Object.values(cursors).every(Boolean), JSON.stringify(cursors));

  const webhookEventIds = (await ok(await call(ponte, "GET", "/v1/webhook-events?limit=200", { key }), 200, "events")).data.map((e) => e.id);

  return {
    tag, tenant, key, cursors, webhookEventIds, credentials: await tokens(ponte, key, tag), meta: { ...meta, templateText }, gateway, contacts,
    conversations: contacts.map(conversationOf), sendRequest, idempotencyKey, sent, doomed, image, failedImage, upload,
    mediaBytes: [imageBytes, uploadBytes], mediaIds: [image.media.id, failedImage.media.id, upload.id],
  };
}

/** Tenant B: one Meta channel and one contact who has just written, so it can send. */
export async function seedTenantB(ponte, { graph }) {
  const tag = `B${unique()}`;
  const tenant = await createTenant(ponte, `Tenant ${tag}`);
  const key = tenant.api_key;
  const meta = { ...(await metaChannel(ponte, graph, key, tag)), key };
  const contact = { phone: `55219${digits(8)}`, name: `Contact of ${tag}` };
  await ok(await postMeta(ponte, meta, metaText({ from: contact.phone, name: contact.name, body: `hello ${tag}`, phoneNumberId: meta.phoneNumberId })), 200, "B webhook");
  const [conversation] = await conversationsOf(ponte, key);
  const b = { tag, tenant, key, credentials: await tokens(ponte, key, tag), meta, contact, conversation };
  b.owned = { ...(await ownedBy(ponte, key)), messages: (await messagesOf(ponte, key, conversation.id)).map((m) => m.id) };
  return b;
}

/** What a tenant's list endpoints show it, by id, to compare B's lists with. */
export async function ownedBy(ponte, key) {
  const ids = async (path) => (await ok(await call(ponte, "GET", path, { key }), 200, path)).data.map((x) => x.id ?? x.seq);
  return {
    channels: await ids("/v1/channels"), conversations: await ids("/v1/conversations?limit=200"), contacts: await ids("/v1/contacts?limit=200"),
    webhookEvents: await ids("/v1/webhook-events?limit=200"), deadLetters: await ids("/v1/dead-letters?limit=200"),
    counts: (await call(ponte, "GET", "/v1/conversations/counts", { key })).json,
  };
}

// A signed link's query changes with the clock; what it points at does not.
const stable = (text) => JSON.parse(text.replace(/exp=\d+&kid=[0-9a-f]+&sig=[0-9a-f]+/g, "exp=…&kid=…&sig=…"));

/**
 * Everything tenant A can read about itself. Refused webhook deliveries are left out: anyone may
 * post junk to a webhook URL, and it is logged for the owner to see.
 */
export async function snapshot(ponte, a) {
  const get = async (path) => stable((await call(ponte, "GET", path, { key: a.key })).text);
  const conversations = (await get("/v1/conversations?limit=200")).data;
  const out = { channels: await get("/v1/channels"), counts: await get("/v1/conversations/counts"), conversations, contacts: await get("/v1/contacts?limit=200"),
    deadLetters: await get("/v1/dead-letters?limit=200"), templates: await get(`/v1/channels/${a.meta.id}/templates`) };
  out.webhookEvents = (await get("/v1/webhook-events?limit=200")).data.filter((e) => e.signature_ok !== false && e.signature_ok !== 0);
  for (const c of conversations) {
    out[c.id] = { one: await get(`/v1/conversations/${c.id}`), contact: await get(`/v1/contacts/${c.contact.id}`),
      contactConversations: await get(`/v1/contacts/${c.contact.id}/conversations`), messages: await get(`/v1/conversations/${c.id}/messages?limit=200`) };
    for (const m of out[c.id].messages.data) out[m.id] = await get(`/v1/messages/${m.id}`);
  }
  for (const id of a.mediaIds) {
    const res = await fetch(`${ponte.base}/media/${id}`, { headers: { authorization: `Bearer ${a.key}` } });
    out[id] = `${res.status} ${sha256(Buffer.from(await res.arrayBuffer()))}`;
  }
  return out;
}

// Values under these keys name or describe tenant data; any of A's showing up for B is a leak.
const IDENTIFYING = /^(id|\w+_id|phone|wa_id|name|email|segment|text|body|caption|sha256|filename|webhook_url|qr|code|identities|tenant|sub)$/;

/** Every string of A's data B must never see, from A's snapshot and what the seeding used. */
export function secretsOf(a, snap) {
  const found = new Set();
  const walk = (value, key) => {
    if (typeof value === "string" && IDENTIFYING.test(key ?? "") && value.length >= 6) found.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(snap);
  walk(a.image);
  walk(a.failedImage);
  walk(a.upload);
  const webhookTokens = [a.meta, a.gateway].map((c) => c.path.split("/").pop());
  for (const s of [a.tenant.id, a.tenant.name, a.key, a.credentials.admin, a.credentials.agent, a.idempotencyKey, a.meta.templateText,
    ...Object.values(a.meta.secrets), a.meta.phoneNumberId, ...webhookTokens, ...a.contacts.flatMap((c) => [c.phone, c.name])]) found.add(s);
  for (const bytes of a.mediaBytes) found.add(bytes.subarray(0, 24).toString("base64")).add(bytes.subarray(0, 24).toString("hex"));
  return [...found];
}

/**
 * Which of A's secrets (strings, or 24-byte runs of A's files) `bytes` contains, but for those
 * in `sent`: an answer may name the id it was asked about, which its asker already knew.
 */
export function leaksIn(bytes, a, secrets, sent = "") {
  const text = bytes.toString("utf8");
  const leaked = secrets.filter((s) => text.includes(s) && !sent.includes(s));
  for (const file of a.mediaBytes) {
    for (const at of [0, file.length >> 1, file.length - 24]) {
      if (bytes.indexOf(file.subarray(at, at + 24)) >= 0) leaked.push(`${file.length}-byte file of A at ${at}`);
    }
  }
  return leaked;
}
