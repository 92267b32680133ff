// Master key rotation (issue 15): one persisted state started four times. Under key A a channel
// and a token are made; under B alone the channel fails cleanly; under B with A as
// PONTE_MASTER_KEY_PREVIOUS it works and `npm run reseal` seals it under B; under B alone again it
// still works, through a KV cache that held the copy sealed under A.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { ROOT, call, createMetaChannel, createTenant, d1File, postWebhook, startPonte } from "./harness.mjs";
import { startGraph } from "../../tools/graph-emulator.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";

const KEY_A = randomBytes(32).toString("base64url");
const KEY_B = randomBytes(32).toString("base64url");
const operatorKey = randomBytes(24).toString("base64url");
const state = mkdtempSync(join(tmpdir(), "ponte-rotation-"));
const persist = join(state, "state");
let graph;
let ponte;
let made;

/**
 * A channel's secrets as Ponte sealed them before keys had ids (`v1.`): AES-256-GCM under a key
 * derived from the master key, the channel id as associated data (shared/core/src/secrets.rs).
 */
function sealV1(master, secrets, channelId) {
  const hmac = (key, text) => createHmac("sha256", key).update(text).digest();
  const key = hmac(hmac(Buffer.from(master), "ponte/master/v1"), "ponte/secrets/v1");
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(Buffer.from(channelId));
  const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(secrets)), cipher.final(), cipher.getAuthTag()]);
  return `v1.${sealed.toString("base64")}`;
}

/** A JWT as Ponte signed them before tokens named their key: no `kid` in the header. */
function legacyToken(master, tenant) {
  const hmac = (key, text) => createHmac("sha256", key).update(text).digest();
  const key = hmac(hmac(Buffer.from(master), "ponte/master/v1"), "ponte/jwt/v1");
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part({ tenant, sub: "legacy", role: "agent", iat: now, exp: now + 3600 })}`;
  return `${input}.${hmac(key, input).toString("base64url")}`;
}

const restart = async (keys) => {
  await ponte?.stop();
  ponte = await startPonte({ persist, operatorKey, ...keys });
};
const sealedOf = (channelId) => {
  const db = new DatabaseSync(d1File(persist), { readOnly: true });
  try {
    return db.prepare("SELECT secrets_sealed FROM channels WHERE id = ?").get(channelId).secrets_sealed;
  } finally {
    db.close();
  }
};
let sends = 0;
const sendText = (key, channel = made.channel) =>
  call(ponte, "POST", "/v1/messages", { key, body: { channel_id: channel.id, to: made.from, type: "text", text: { body: `hello ${++sends}` } } });
const inbound = (n, channel = made.channel) =>
  postWebhook(ponte, channel, metaText({ from: made.from, id: `wamid.ROT${n}.${channel.id}`, phoneNumberId: channel.phoneNumberId }));

before(async () => {
  graph = await startGraph();
  await restart({ masterKey: KEY_A });
  const tenant = await createTenant(ponte);
  const phoneNumberId = "120300450067";
  const accessToken = "EAAG-rotation-token";
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl });
  const token = await call(ponte, "POST", "/v1/tokens", { key: tenant.api_key, body: { sub: "agent-1", role: "admin", ttl_seconds: 86400 } });
  assert.equal(token.status, 201, token.text);
  const upload = await call(ponte, "POST", "/v1/media?filename=a.png", { key: tenant.api_key, body: randomBytes(256), headers: { "content-type": "image/png" } });
  assert.equal(upload.status, 201, upload.text);
  made = { tenant: tenant.id, key: tenant.api_key, channel: { ...channel, accessToken }, token: token.json.token, from: "5511987650001", accessToken, link: upload.json.url };
  // A second channel as a deployment from before key ids holds it.
  const legacyPhone = "120300450068";
  const legacyToken = "EAAG-legacy-token";
  graph.register(legacyPhone, legacyToken);
  const legacy = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId: legacyPhone, accessToken: legacyToken, graphBaseUrl: graph.baseUrl });
  const legacySealed = sealV1(KEY_A, { access_token: legacyToken, app_secret: legacy.appSecret, verify_token: "verify-me" }, legacy.id);
  const db = new DatabaseSync(d1File(persist));
  db.prepare("UPDATE channels SET secrets_sealed = ? WHERE id = ?").run(legacySealed, legacy.id);
  db.close();
  made.legacy = { ...legacy, accessToken: legacyToken };
  // The contact writes first: WhatsApp's 24-hour window is then open for every send below.
  for (const channel of [made.channel, made.legacy]) {
    assert.equal((await inbound(1, channel)).status, 200);
    const send = await sendText(made.key, channel);
    assert.equal(send.status, 201, send.text);
    assert.equal(graph.calls.at(-1).authorization, `Bearer ${channel.accessToken}`);
  }
});

after(async () => {
  await ponte?.stop();
  await graph?.stop();
  rmSync(state, { recursive: true, force: true });
});

test("what key A sealed and signed names A's key id; a value sealed before key ids still opened", () => {
  assert.match(sealedOf(made.legacy.id), /^v1\./);
  const sealed = sealedOf(made.channel.id);
  assert.match(sealed, /^v2\.[0-9a-f]{8}\./);
  const header = JSON.parse(Buffer.from(made.token.split(".")[0], "base64url"));
  assert.equal(header.kid, sealed.split(".")[1], "the token names the same key");
  assert.equal(new URL(made.link, "http://x").searchParams.get("kid"), header.kid, "and so does a media link");
});

test("under a new key without the previous one, the channel fails with a clear 503 and no internals", async () => {
  await restart({ masterKey: KEY_B });
  const before = graph.calls.length;
  const send = await sendText(made.key);
  assert.equal(send.status, 503, send.text);
  assert.equal(send.headers.get("content-type"), "application/problem+json");
  assert.match(send.json.detail, /PONTE_MASTER_KEY_PREVIOUS/);
  for (const secret of [KEY_A, KEY_B, made.accessToken, made.channel.appSecret, sealedOf(made.channel.id)]) {
    assert.ok(!send.text.includes(secret), "the answer holds no key, secret or sealed value");
  }
  const legacySend = await sendText(made.key, made.legacy);
  assert.equal(legacySend.status, 503, legacySend.text);
  assert.match(legacySend.json.detail, /PONTE_MASTER_KEY_PREVIOUS/);
  // A provider retries a 503, so its deliveries wait for the operator's fix instead of being lost.
  assert.equal((await inbound(2)).status, 503);
  assert.equal(graph.calls.length, before, "nothing reached the provider");
  // The token and the media link signed with A are not accepted without A.
  assert.equal((await call(ponte, "GET", "/v1/conversations", { key: made.token })).status, 401);
  assert.equal((await fetch(`${ponte.base}${made.link}`)).status, 403);
});

test("with the previous key beside the new one, the channel and A's token work, and reseal moves them to B", async () => {
  await restart({ masterKey: KEY_B, masterKeyPrevious: KEY_A });
  assert.equal((await call(ponte, "GET", "/v1/conversations", { key: made.token })).status, 200, "A's token still works");
  assert.equal((await fetch(`${ponte.base}${made.link}`)).status, 200, "A's media link still works");
  for (const key of [KEY_A, KEY_B]) {
    const legacy = await call(ponte, "GET", "/v1/conversations", { key: legacyToken(key, made.tenant) });
    assert.equal(legacy.status, 200, "a token without a key id is checked under each key held");
  }
  const before = graph.calls.length;
  const send = await sendText(made.key);
  assert.equal(send.status, 201, send.text);
  assert.equal(graph.calls.length, before + 1);
  assert.equal(graph.calls.at(-1).authorization, `Bearer ${made.accessToken}`, "the secret opened under A reached the provider");
  const legacySend = await sendText(made.key, made.legacy);
  assert.equal(legacySend.status, 201, legacySend.text);
  assert.equal(graph.calls.at(-1).authorization, `Bearer ${made.legacy.accessToken}`);
  // Caches the channel in KV as sealed under A, before the reseal.
  assert.equal((await inbound(3)).status, 200);
  const sealedUnderA = sealedOf(made.channel.id);

  assert.equal((await call(ponte, "POST", "/v1/operator/reseal", { key: made.key })).status, 401, "a tenant key is not the operator's");
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "scripts/reseal.mjs"), "--page", "1"],
    { env: { ...process.env, PONTE_URL: ponte.base, PONTE_OPERATOR_KEY: operatorKey } });
  // A page of one channel: the script follows the cursor to the second.
  assert.match(stdout, /2 re-sealed, 0 already current, 0 failed/);
  const resealed = sealedOf(made.channel.id);
  assert.equal(sealedOf(made.legacy.id).split(".").slice(0, 2).join("."), resealed.split(".").slice(0, 2).join("."),
    "the value from before key ids now names the new key too");
  assert.notEqual(resealed, sealedUnderA);
  assert.notEqual(resealed.split(".")[1], sealedUnderA.split(".")[1], "sealed under another key id");

  const again = await call(ponte, "POST", "/v1/operator/reseal", { key: operatorKey });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual([again.json.resealed, again.json.already_current, again.json.failed, again.json.next_cursor], [0, 2, 0, null]);
  assert.equal(again.json.key_id, resealed.split(".")[1]);
  assert.equal(sealedOf(made.channel.id), resealed, "running it again changes nothing");
});

test("after the reseal, the new key alone sends and receives", async () => {
  await restart({ masterKey: KEY_B });
  for (const channel of [made.channel, made.legacy]) {
    const before = graph.calls.length;
    const send = await sendText(made.key, channel);
    assert.equal(send.status, 201, send.text);
    assert.equal(graph.calls.at(-1).authorization, `Bearer ${channel.accessToken}`);
    assert.equal(graph.calls.length, before + 1);
  }
  assert.equal((await inbound(4)).status, 200, "the webhook's channel opens, not the cached copy sealed under A");
  assert.equal((await call(ponte, "GET", "/v1/conversations", { key: legacyToken(KEY_B, made.tenant) })).status, 200);
  assert.equal((await call(ponte, "GET", "/v1/conversations", { key: legacyToken(KEY_A, made.tenant) })).status, 401,
    "once A is gone, nothing it signed is accepted");
  assert.equal((await call(ponte, "GET", "/v1/conversations", { key: made.token })).status, 401);
});
