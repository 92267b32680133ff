// The isolation matrix: what tenant B asks of each route the Workers serve, naming tenant A's
// ids, what it must be answered, and the run that checks every answer (isolation.test.mjs).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { envelope as evolutionEnvelope } from "../../tools/evolution-payloads.mjs";
import { metaStatus, metaText } from "../../tools/meta-payloads.mjs";
import { rawUpgrade, signMeta } from "./harness.mjs";
import { leaksIn } from "./isolation-fixture.mjs";

export const CREDENTIALS = ["key", "admin", "agent"];
let ponte;
let emulators;
let a;
let b;
let secrets;

/** The stack and tenants the matrix runs against. */
export function bind(stack) {
  ({ ponte, emulators, a, b, secrets } = stack);
}

/** The same id with its random part reversed: same shape, never issued. */
export const twin = (id) => id.replace(/[^_]+$/, (rest) => [...rest].reverse().join(""));

/**
 * One request of B's, `credential` in the Authorization header (for the WebSocket, where a
 * browser puts it: a subprotocol for the key, the query for a token). Answers status, headers
 * and body bytes.
 */
export async function asB(method, path, credential, { body, headers = {}, upgrade = false } = {}) {
  const secret = b.credentials[credential];
  if (upgrade) {
    const isKey = credential === "key";
    const url = isKey ? path : `${path}${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(secret)}`;
    const res = await rawUpgrade(ponte, url, isKey ? { "sec-websocket-protocol": `ponte, bearer.${secret}` } : {});
    return { status: res.status, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), bytes: Buffer.from(res.text ?? "") };
  }
  const isJson = body !== undefined && !Buffer.isBuffer(body) && typeof body !== "string";
  const res = await fetch(`${ponte.base}${path}`, { method, headers: { authorization: `Bearer ${secret}`,
    ...(isJson ? { "content-type": "application/json" } : {}), ...headers }, body: isJson ? JSON.stringify(body) : body });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

export const jsonOf = (res) => {
  try {
    return JSON.parse(res.bytes.toString("utf8"));
  } catch {
    return undefined;
  }
};
/** Every finding of `res`'s headers and body holding A's data. */
export const leaks = (res, sent) => leaksIn(Buffer.concat([Buffer.from(JSON.stringify([...res.headers])), res.bytes]), a, secrets, sent);

const all = (status) => Object.fromEntries(CREDENTIALS.map((c) => [c, status]));
const adminOnly = (status) => ({ ...all(status), agent: 403 });
const sameIds = (want) => (res) => assert.deepEqual(jsonOf(res).data.map((x) => x.id ?? x.seq).sort(), [...want].sort());
const noData = (res) => assert.deepEqual(jsonOf(res).data, []);
const within = (owned) => (res) => assert.deepEqual(jsonOf(res).data.map((x) => x.id).filter((id) => !owned.includes(id)), []);
// Quotes and wildcards, in case a query were built by hand.
const INJECTIONS = ["' OR '1'='1", "%", "_", "\\"];
const aMessageIds = () => [a.image.id, a.failedImage.id, a.sent.id, a.doomed.id];

/**
 * What B asks of each route. `asks()` gives the requests; one with `aId` is made twice, with A's
 * id and with its never-issued twin (`make(id)`), and both answers must match. `expect` is the
 * status by credential; `check` looks further at a 2xx answer.
 */
export const MATRIX = {
  "ANY /healthz": { expect: all(200), asks: () => [{ check: (res) => assert.deepEqual(jsonOf(res), { ok: true }) }] },
  "GET /v1/openapi.json": { expect: all(200), asks: () => [{}] },
  "HEAD /v1/openapi.json": { expect: all(200), asks: () => [{}] },
  // Housekeeping a cron trigger runs over a service binding; never from outside.
  "ANY /internal/scheduled": { expect: all(404), asks: () => ["GET", "POST"].map((method) => ({ method, path: `/internal/scheduled?cron=${encodeURIComponent("* * * * *")}` })) },
  "POST /v1/tenants": { expect: all(401), asks: () => [{ body: { name: `Twin of ${a.tenant.name}` } }] },
  "POST /v1/operator/reseal": { expect: all(401), asks: () => [{}] },
  "ANY /v1/realtime": { expect: all(101), upgrade: true,
    asks: () => a.conversations.map((c) => ({ aId: c.id, make: (id) => ({ path: `/v1/realtime?conversation_id=${id}` }) })) },
  "POST /v1/tokens": { expect: { key: 201, admin: 403, agent: 403 }, asks: () => [
    { body: { sub: "b-user", role: "admin" }, check: (res) => assert.equal(jsonOf(res).claims.tenant, b.tenant.id) },
    { body: { sub: "b-user", tenant: a.tenant.id }, expect: { key: 422, admin: 403, agent: 403 } }] },
  "POST /v1/channels": { expect: adminOnly(201), asks: () => [{
    body: { provider: "meta", name: `Second of ${b.tag}`, config: { phone_number_id: "3999000111222", graph_base_url: emulators.graph.baseUrl },
      secrets: { access_token: "EAAG-b", app_secret: "b-app", verify_token: "b-verify" } },
    check: (res) => b.owned.channels.push(jsonOf(res).id) }] },
  "GET /v1/channels": { expect: all(200), asks: () => [{ check: (res) => sameIds(b.owned.channels)(res) }] },
  "GET /v1/channels/{id}": { expect: all(404), asks: () => channelAsks((id) => `/v1/channels/${id}`) },
  "GET /v1/channels/{id}/templates": { expect: all(404), asks: () => channelAsks((id) => `/v1/channels/${id}/templates`) },
  "POST /v1/channels/{id}/connect": { expect: adminOnly(404), asks: () => channelAsks((id) => `/v1/channels/${id}/connect`) },
  "GET /v1/conversations": { expect: all(200), asks: () => [
    { check: (res) => sameIds(b.owned.conversations)(res) },
    ...a.contacts.flatMap((c) => [{ path: `/v1/conversations?q=${encodeURIComponent(c.name)}`, check: noData },
      { path: `/v1/conversations?q=${c.phone.slice(-8)}`, check: noData }]),
    ...INJECTIONS.map((q) => ({ path: `/v1/conversations?q=${encodeURIComponent(q)}`, check: within(b.owned.conversations) })),
    { path: `/v1/conversations?cursor=${a.cursors.conversations}`, check: within(b.owned.conversations) },
    ...[a.meta.id, a.gateway.id].map((id) => ({ aId: id, make: (id) => ({ path: `/v1/conversations?channel_id=${id}` }), check: noData }))] },
  "GET /v1/conversations/counts": { expect: all(200), asks: () => [{ check: (res) => assert.deepEqual(jsonOf(res), b.owned.counts) }] },
  "GET /v1/conversations/{id}": { expect: all(404), asks: () => conversationAsks((id) => ({ path: `/v1/conversations/${id}` })) },
  "PATCH /v1/conversations/{id}": { expect: all(404), asks: () => ["resolved", "pending"].flatMap((status) =>
    conversationAsks((id) => ({ path: `/v1/conversations/${id}`, body: { status } }))) },
  "POST /v1/conversations/{id}/read": { expect: all(404), asks: () => conversationAsks((id) => ({ path: `/v1/conversations/${id}/read` })) },
  "POST /v1/messages": { expect: all(422), asks: () => [
    ...conversationAsks((id) => ({ body: { conversation_id: id, type: "text", text: { body: "from B" } } })),
    // A's own request under A's Idempotency-Key must not replay A's answer.
    { aId: a.sendRequest.conversation_id, make: (id) => ({ body: { ...a.sendRequest, conversation_id: id }, headers: { "idempotency-key": a.idempotencyKey } }) },
    ...[a.meta.id, a.gateway.id].map((channelId) => ({ aId: channelId,
      make: (id) => ({ body: { channel_id: id, to: `+${a.contacts[0].phone}`, type: "text", text: { body: "from B" } } }) }))] },
  "GET /v1/messages/{id}": { expect: all(404), asks: () => aMessageIds().map((aId) => ({ aId, make: (id) => ({ path: `/v1/messages/${id}` }) })) },
  "POST /v1/media": { expect: all(201), asks: () => [{ path: `/v1/media?filename=${b.tag}.png`, body: randomBytes(512), headers: { "content-type": "image/png" } }] },
  "POST /v1/messages/{id}/media/retry": { expect: all(404),
    asks: () => aMessageIds().map((aId) => ({ aId, make: (id) => ({ path: `/v1/messages/${id}/media/retry` }) })) },
  "GET /v1/dead-letters": { expect: adminOnly(200), asks: () => [{ check: (res) => sameIds(b.owned.deadLetters)(res) }] },
  "GET /v1/conversations/{id}/messages": { expect: all(404), asks: () => [...conversationAsks((id) => ({ path: `/v1/conversations/${id}/messages` })),
    { path: `/v1/conversations/${b.conversation.id}/messages?cursor=${a.cursors.messages}`, expect: all(200), check: within(b.owned.messages) }] },
  "GET /v1/contacts": { expect: all(200), asks: () => [
    { check: (res) => sameIds(b.owned.contacts)(res) },
    ...a.contacts.flatMap((c) => [`+${c.phone}`, c.phone.slice(-8), c.name, `phone:+${c.phone}`, `${c.phone}@s.whatsapp.net`]
      .map((q) => ({ path: `/v1/contacts?query=${encodeURIComponent(q)}`, check: noData }))),
    { path: `/v1/contacts?query=${encodeURIComponent(a.contacts[0].email)}`, check: noData },
    { path: `/v1/contacts?external=${encodeURIComponent(`odoo:res.partner:${a.contacts[0].externalRef.id}`)}`, check: noData },
    ...INJECTIONS.map((q) => ({ path: `/v1/contacts?query=${encodeURIComponent(q)}`, check: within(b.owned.contacts) }))] },
  "GET /v1/contacts/{id}": { expect: all(404), asks: () => a.conversations.map((c) => ({ aId: c.contact.id, make: (id) => ({ path: `/v1/contacts/${id}` }) })) },
  "PATCH /v1/contacts/{id}": { expect: all(404), asks: () => [
    ...a.conversations.map((c) => ({ aId: c.contact.id, make: (id) => ({ path: `/v1/contacts/${id}`, body: { name: `Renamed by ${b.tag}`, blocked: true, attributes: { by: b.tag } } }) })),
    // Tenants are apart: B may link its own contact to a record number A uses.
    { path: `/v1/contacts/${b.conversation.contact.id}`, body: { external_refs: [a.contacts[0].externalRef] }, expect: all(200),
      check: (res) => assert.deepEqual(jsonOf(res).external_refs, [a.contacts[0].externalRef]) }] },
  "POST /v1/contacts/{id}/merge": { expect: all(404), asks: () => [
    ...a.conversations.map((c) => ({ aId: c.contact.id, make: (id) => ({ path: `/v1/contacts/${id}/merge`, body: { other: b.conversation.contact.id } }) })),
    ...a.conversations.map((c) => ({ aId: c.contact.id, expect: all(422), make: (id) => ({ path: `/v1/contacts/${b.conversation.contact.id}/merge`, body: { other: id } }) }))] },
  "GET /v1/contacts/{id}/conversations": { expect: all(404),
    asks: () => a.conversations.map((c) => ({ aId: c.contact.id, make: (id) => ({ path: `/v1/contacts/${id}/conversations` }) })) },
  "POST /v1/conversations": { expect: all(422), asks: () => [
    ...[a.meta.id, a.gateway.id].map((aId) => ({ aId, make: (id) => ({ body: { channel_id: id, to: `+${a.contacts[0].phone}` } }) })),
    ...a.conversations.map((c) => ({ aId: c.contact.id, make: (id) => ({ body: { channel_id: b.meta.id, contact_id: id } }) }))] },
  "GET /v1/webhook-events": { expect: all(200), asks: () => [{ check: (res) => sameIds(b.owned.webhookEvents)(res) },
    { path: `/v1/webhook-events?cursor=${a.cursors.webhookEvents}`, check: within(b.owned.webhookEvents) },
    ...[a.meta.id, a.gateway.id].map((aId) => ({ aId, make: (id) => ({ path: `/v1/webhook-events?channel_id=${id}` }), check: noData }))] },
  "POST /v1/webhook-events/{id}/replay": { expect: adminOnly(404),
    asks: () => a.webhookEventIds.slice(0, 3).map((aId) => ({ aId, make: (id) => ({ path: `/v1/webhook-events/${id}/replay` }) })) },
  "GET /media/{id}": { expect: all(404), asks: () => a.mediaIds.map((aId) => ({ aId, make: (id) => ({ path: `/media/${id}` }) })) },
  // A webhook URL's token is the capability itself, so no twin: B holds only its own secrets.
  "GET /webhooks/{provider}/{token}/{rest}": { expect: all(403), asks: () => [{
    path: `${a.meta.path}?hub.mode=subscribe&hub.verify_token=${b.meta.secrets.verify_token}&hub.challenge=challenge-${b.tag}`,
    check: (res) => assert.doesNotMatch(res.bytes.toString(), /challenge-/) },
    // Evolution has no handshake; a token at another provider's URL is no channel.
    { path: a.gateway.path, expect: all(405) },
    { path: `${a.gateway.path.replace("/evolution/", "/meta/")}?hub.mode=subscribe&hub.verify_token=${b.meta.secrets.verify_token}&hub.challenge=x`, expect: all(404) }] },
  "POST /webhooks/{provider}/{token}/{rest}": { expect: all(401), asks: () => [
    signedByB(a.meta.path, metaText({ from: "5511912345678", body: `intrusion by ${b.tag}`, phoneNumberId: a.meta.phoneNumberId })),
    signedByB(a.meta.path, metaStatus({ id: a.sent.provider_message_id, status: "failed", recipient: a.contacts[0].phone, phoneNumberId: a.meta.phoneNumberId,
      errors: [{ code: 131047, title: "forged by B" }] })),
    { path: a.gateway.path, body: evolutionEnvelope("messages.upsert", { key: { remoteJid: "5511912345678@s.whatsapp.net", fromMe: false, id: "3EB0B0B0" },
      message: { conversation: "intrusion" }, messageType: "conversation", messageTimestamp: 1 }, { apikey: b.key }) },
    { ...signedByB(a.gateway.path.replace("/evolution/", "/meta/"), metaText({ body: "intrusion", phoneNumberId: a.meta.phoneNumberId })), expect: all(404) }] },
};

function signedByB(path, payload) {
  const raw = JSON.stringify(payload);
  return { path, body: raw, headers: { "content-type": "application/json", "x-hub-signature-256": signMeta(b.meta.appSecret, raw) } };
}
function channelAsks(pathOf) {
  return [a.meta.id, a.gateway.id].map((aId) => ({ aId, make: (id) => ({ path: pathOf(id) }) }));
}
function conversationAsks(make) {
  return a.conversations.map((c) => ({ aId: c.id, make }));
}

/** A body with its id in place of `id`, to compare the answers about A's id and its twin. */
const normalized = (res, id) => res.bytes.toString("utf8").replaceAll(id, "{id}");

/** B asks everything in the matrix; answers every way an answer fell short. */
export async function runMatrix() {
  const problems = [];
  let requests = 0;
  const send = async (...args) => {
    requests++;
    return asB(...args);
  };
  for (const [route, entry] of Object.entries(MATRIX)) {
    const [routeMethod, template] = route.split(" ");
    for (const credential of CREDENTIALS) {
      for (const ask of entry.asks()) {
        const method = ask.method ?? (routeMethod === "ANY" ? "GET" : routeMethod);
        const request = ask.aId ? ask.make(ask.aId) : ask;
        const options = { body: request.body, headers: request.headers, upgrade: entry.upgrade };
        const path = request.path ?? template;
        const cell = `${route} as B's ${credential}: ${method} ${path.slice(0, 90)}`;
        const res = await send(method, path, credential, options);
        const expected = (ask.expect ?? entry.expect)[credential];
        if (res.status !== expected) problems.push(`${cell} answered ${res.status}, not ${expected}: ${res.bytes.toString().slice(0, 300)}`);
        const leaked = leaks(res, decodeURIComponent(path) + JSON.stringify(request.body ?? ""));
        if (leaked.length) problems.push(`${cell} leaked A's ${JSON.stringify(leaked)}`);
        if (res.status >= 200 && res.status < 300 && ask.check) {
          try {
            ask.check(res);
          } catch (e) {
            problems.push(`${cell}: ${e.message.split("\n")[0]}`);
          }
        }
        if (ask.aId) {
          const id = twin(ask.aId);
          const twinRequest = ask.make(id);
          const other = await send(method, twinRequest.path ?? template, credential, { ...options, body: twinRequest.body, headers: twinRequest.headers });
          if (other.status !== res.status || normalized(other, id) !== normalized(res, ask.aId)) {
            problems.push(`${cell} answers A's id otherwise than a never-issued one: ${res.status} ${normalized(res, ask.aId).slice(0, 200)} ≠ ${other.status} ${normalized(other, id).slice(0, 200)}`);
          }
        }
      }
    }
  }
  return { problems, requests };
}
