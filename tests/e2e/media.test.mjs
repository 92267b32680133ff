// Media end to end: attachments that arrive by webhook are copied into R2 by media-fetch (the
// media queue's consumer) the way each provider requires, then served by /media/{id} with ranges,
// safe headers and signed expiring links. Providers' media are played by a local file host and
// the Graph API emulator's media lookup.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { startEvolution } from "../../tools/evolution-emulator.mjs";
import { API_KEY, INSTANCE, envelope as evolutionEnvelope } from "../../tools/evolution-payloads.mjs";
import { startGraph } from "../../tools/graph-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { envelope } from "../../tools/meta-payloads.mjs";
import { call, createChannel, createMetaChannel, createTenant, d1File, eventually, postWebhook, startPonte } from "./harness.mjs";

const LINK_TTL_S = 10;
const MAX_BYTES = 1024 * 1024;
let ponte;
let graph;
let host;
let evolution;
let files = 0;

before(async () => {
  [graph, host, evolution] = await Promise.all([startGraph(), startMediaHost(), startEvolution()]);
  ponte = await startPonte({ vars: { MEDIA_RETRY_BASE_SECONDS: 1, MEDIA_MAX_ATTEMPTS: 3, MEDIA_MAX_BYTES: MAX_BYTES, MEDIA_LINK_TTL_SECONDS: LINK_TTL_S, MEDIA_LEASE_SECONDS: 5 } });
});
after(async () => {
  ponte?.stop();
  await Promise.all([graph?.stop(), host?.stop(), evolution?.stop()]);
});

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();
const seconds = () => String(Math.floor(Date.now() / 1000));

/** A tenant with a Meta channel whose media lookups go to the Graph emulator. */
async function metaSetup() {
  const tenant = await createTenant(ponte);
  const phoneNumberId = `30030030${String(++files).padStart(5, "0")}`;
  const accessToken = `EAAG-media-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl });
  return { key: tenant.api_key, channel, phoneNumberId, accessToken };
}

/** Serves `bytes` as Meta media `mediaId` and posts the webhook of a message carrying it. */
async function metaMediaArrives(s, { type = "image", bytes, mimeType = "image/jpeg", declared, urls, failures, extra = {}, mediaId = `${9_000_000 + ++files}` }) {
  const links = urls ?? [host.put(`/meta/${mediaId}`, bytes, mimeType, { token: s.accessToken, failures })];
  graph.registerMedia(mediaId, { urls: links, mimeType, sha256: declared ?? sha256(bytes).toString("hex"), size: bytes.length, token: s.accessToken });
  const message = { from: "5511987650000", id: `wamid.MEDIA${mediaId}`, timestamp: seconds(), type,
    [type]: { id: mediaId, mime_type: mimeType, sha256: declared ?? sha256(bytes).toString("hex"), ...extra } };
  const res = await postWebhook(ponte, s.channel, envelope({ contacts: [{ profile: { name: "Ana" }, wa_id: "5511987650000" }], messages: [message] }, s.phoneNumberId));
  assert.equal(res.status, 200, res.text);
  return { mediaId, wamid: message.id };
}

async function messageByProviderId(key, providerId) {
  const conversations = (await call(ponte, "GET", "/v1/conversations", { key })).json.data;
  for (const c of conversations) {
    const found = (await call(ponte, "GET", `/v1/conversations/${c.id}/messages`, { key })).json.data
      .find((m) => m.provider_message_id === providerId);
    if (found) return found;
  }
  throw new Error(`no message ${providerId}`);
}

const settled = (key, providerId) => eventually(async () => {
  const message = await messageByProviderId(key, providerId);
  assert.ok(["ready", "failed"].includes(message.media?.status), `still ${message.media?.status}`);
  return message;
});

describe("inbound copy", () => {
  test("an image by webhook ends up in R2 with its bytes, sha256 and type, served whole and by range", async () => {
    const s = await metaSetup();
    const bytes = randomBytes(64 * 1024);
    const { wamid } = await metaMediaArrives(s, { bytes, mimeType: "image/jpeg" });
    const pending = await messageByProviderId(s.key, wamid);
    assert.equal(pending.type, "image", "the message is stored first");
    const message = await settled(s.key, wamid);
    assert.equal(message.media.status, "ready", JSON.stringify(message.media));
    assert.equal(message.media.size, bytes.length);
    assert.equal(message.media.sha256, sha256(bytes).toString("hex"));
    assert.equal(message.media.content_type, "image/jpeg");

    const whole = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${s.key}` } });
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
    assert.equal(whole.headers.get("content-type"), "image/jpeg");
    assert.equal(whole.headers.get("x-content-type-options"), "nosniff");
    assert.match(whole.headers.get("content-disposition"), /^inline/);
    assert.equal(whole.headers.get("etag"), `"${message.media.sha256}"`);

    const part = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${s.key}`, range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200));
    const past = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${s.key}`, range: `bytes=${bytes.length}-` } });
    assert.equal(past.status, 416);
  });

  test("an expired Meta link is looked up again", async () => {
    const s = await metaSetup();
    const bytes = randomBytes(4096);
    const id = `${8_000_000 + ++files}`;
    const stale = host.put(`/meta/stale-${id}`, bytes, "audio/ogg", { token: s.accessToken, expiresAfter: 0 });
    const fresh = host.put(`/meta/fresh-${id}`, bytes, "audio/ogg", { token: s.accessToken });
    const { wamid } = await metaMediaArrives(s, { type: "audio", bytes, mimeType: "audio/ogg", urls: [stale, fresh], extra: { voice: true } });
    const message = await settled(s.key, wamid);
    assert.equal(message.media.status, "ready", JSON.stringify(message.media));
    assert.ok(host.calls.some((c) => c.path === `/meta/stale-${id}`), "the stale link was tried first");
  });

  test("a provider that fails twice then succeeds ends ready; one that always fails ends failed and the message stays", async () => {
    const s = await metaSetup();
    const flaky = await metaMediaArrives(s, { bytes: randomBytes(2048), failures: [503, 503] });
    assert.equal((await settled(s.key, flaky.wamid)).media.status, "ready");

    const brokenBytes = randomBytes(2048);
    const broken = await metaMediaArrives(s, { bytes: brokenBytes, failures: [503, 503, 503, 503, 503, 503] });
    const failed = await settled(s.key, broken.wamid);
    assert.equal(failed.media.status, "failed");
    assert.match(failed.media.error, /gave up after 3 attempts: the provider answered HTTP 503/);
    assert.equal(failed.type, "image", "the message is still there");

    // Tried again once the provider is back.
    host.put(`/meta/${broken.mediaId}`, brokenBytes, "image/jpeg", { token: s.accessToken });
    const retried = await call(ponte, "POST", `/v1/messages/${failed.id}/media/retry`, { key: s.key });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.json.media.status, "pending");
    const again = await call(ponte, "POST", `/v1/messages/${failed.id}/media/retry`, { key: s.key });
    assert.equal(again.status, 409, "only a failed attachment is retried");
    assert.equal((await settled(s.key, broken.wamid)).media.status, "ready");
  });

  test("a copy whose result storage refused is taken over when its claim runs out, not left pending", async () => {
    const s = await metaSetup();
    const bytes = randomBytes(2048);
    const marker = `${7_500_000 + ++files}`;
    const db = new DatabaseSync(d1File(ponte.persist));
    // The first copy downloads the file, then cannot record it: its job is redelivered at once
    // and finds the attachment still claimed by that copy.
    db.exec(`CREATE TRIGGER test_media_ready_fails BEFORE UPDATE OF status ON media
             WHEN NEW.status = 'ready' AND OLD.source LIKE '%${marker}%' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    let wamid;
    try {
      ({ wamid } = await metaMediaArrives(s, { bytes, mediaId: marker }));
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal((await messageByProviderId(s.key, wamid)).media.status, "pending");
    } finally {
      db.exec("DROP TRIGGER test_media_ready_fails");
      db.close();
    }
    const ready = await eventually(async () => {
      const message = await messageByProviderId(s.key, wamid);
      assert.equal(message.media?.status, "ready", `still ${message.media?.status}`);
      return message;
    }, 30_000);
    assert.equal(ready.media.size, bytes.length);
  });

  test("a job that keeps crashing the copier goes to the dead letter queue, whose consumer fails it; the message stays", async () => {
    const s = await metaSetup();
    const bytes = randomBytes(1024);
    // Every claim of this one attachment fails inside D1, so the consumer throws and the queue
    // redelivers it until its retries run out.
    const marker = `${7_000_000 + ++files}`;
    const db = new DatabaseSync(d1File(ponte.persist));
    db.exec(`CREATE TRIGGER test_media_claim_fails BEFORE UPDATE OF attempts ON media
             WHEN OLD.source LIKE '%${marker}%' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    try {
      const { wamid } = await metaMediaArrives(s, { bytes, mediaId: marker });
      const failed = await eventually(async () => {
        const message = await messageByProviderId(s.key, wamid);
        assert.equal(message.media?.status, "failed", `still ${message.media?.status}`);
        return message;
      }, 60_000);
      assert.match(failed.media.error, /kept failing/);
      assert.doesNotMatch(failed.media.error, /injected/, "internals must not leak");
      assert.equal(failed.type, "image", "the message is still there");
    } finally {
      db.exec("DROP TRIGGER test_media_claim_fails");
      db.close();
    }
  });

  test("a sha256 mismatch fails with that reason; a file over the limit is refused with its size", async () => {
    const s = await metaSetup();
    const wrong = await metaMediaArrives(s, { bytes: randomBytes(1024), declared: "00".repeat(32) });
    const mismatched = await settled(s.key, wrong.wamid);
    assert.equal(mismatched.media.status, "failed");
    assert.match(mismatched.media.error, /sha256 mismatch/);

    const big = await metaMediaArrives(s, { type: "document", bytes: randomBytes(MAX_BYTES + 1), mimeType: "application/pdf", extra: { filename: "big.pdf" } });
    const refused = await settled(s.key, big.wamid);
    assert.equal(refused.media.status, "failed");
    assert.match(refused.media.error, new RegExp(`the file is ${MAX_BYTES + 1} bytes; at most ${MAX_BYTES}`));
  });
});

describe("serving", () => {
  test("an HTML document from a gateway is served as an attachment with nosniff and a sandbox", async () => {
    const tenant = await createTenant(ponte);
    const channel = await createChannel(ponte, tenant.api_key, { provider: "evolution",
      config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY } });
    const html = Buffer.from("<html><script>alert(document.cookie)</script></html>");
    const url = host.put(`/s3/evil-${++files}.html`, html, "text/html");
    const id = `3EB0HTML${files}`;
    const data = { key: { remoteJid: "5511987650001@s.whatsapp.net", fromMe: false, id }, pushName: "Eve",
      message: { documentMessage: { url: "https://mmg.whatsapp.net/x.enc", mimetype: "text/html", fileName: "../../fatura.html", caption: "fatura" }, mediaUrl: url },
      messageType: "documentMessage", messageTimestamp: Math.floor(Date.now() / 1000) };
    const res = await call(ponte, "POST", channel.path, { body: evolutionEnvelope("messages.upsert", data) });
    assert.equal(res.status, 200, res.text);
    const message = await settled(tenant.api_key, id);
    assert.equal(message.media.status, "ready", JSON.stringify(message.media));
    const served = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
    assert.equal(served.status, 200);
    assert.match(served.headers.get("content-disposition"), /^attachment; filename="[^/"]*fatura\.html"$/);
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    assert.match(served.headers.get("content-security-policy"), /sandbox/);
  });

  test("a signed link works without a credential until it expires, and not for another tenant's media", async () => {
    const s = await metaSetup();
    const bytes = randomBytes(1000);
    const { wamid } = await metaMediaArrives(s, { bytes });
    const message = await settled(s.key, wamid);
    assert.match(message.media.url, /^\/media\/med_\w+\?exp=\d+&kid=[0-9a-f]{8}&sig=[0-9a-f]{64}$/);
    const signed = await fetch(`${ponte.base}${message.media.url}`);
    assert.equal(signed.status, 200);
    assert.deepEqual(Buffer.from(await signed.arrayBuffer()), bytes);
    const forged = message.media.url.replace(/sig=[0-9a-f]/, (m) => (m.endsWith("0") ? "sig=1" : "sig=0"));
    assert.equal((await fetch(`${ponte.base}${forged}`)).status, 403);
    const other = await createTenant(ponte);
    assert.equal((await call(ponte, "GET", `/media/${message.media.id}`, { key: other.api_key })).status, 404);
    assert.equal((await fetch(`${ponte.base}/media/${message.media.id}`)).status, 401);
    await new Promise((r) => setTimeout(r, (LINK_TTL_S + 1.5) * 1000));
    assert.equal((await fetch(`${ponte.base}${message.media.url}`)).status, 403, "expired");
  });
});

describe("outbound media", () => {
  const upload = (key, bytes, type, query = "") => fetch(`${ponte.base}/v1/media${query}`, {
    method: "POST", headers: { authorization: `Bearer ${key}`, ...(type ? { "content-type": type } : {}) }, body: bytes,
  });

  test("an upload is streamed into R2 and answered with its id, size, sha256 and a signed link; bad uploads say why", async () => {
    const tenant = await createTenant(ponte);
    const bytes = randomBytes(200_000);
    const res = await upload(tenant.api_key, bytes, "image/png", "?filename=catalogo.png");
    assert.equal(res.status, 201);
    const file = await res.json();
    assert.match(file.id, /^med_/);
    assert.deepEqual([file.size, file.sha256, file.content_type, file.filename], [bytes.length, sha256(bytes).toString("hex"), "image/png", "catalogo.png"]);
    const back = await fetch(`${ponte.base}${file.url}`);
    assert.equal(back.status, 200);
    assert.deepEqual(Buffer.from(await back.arrayBuffer()), bytes);

    assert.equal((await upload(tenant.api_key, bytes, null)).status, 422, "no content type");
    assert.equal((await upload(tenant.api_key, Buffer.alloc(0), "image/png")).status, 400, "empty");
    const big = await upload(tenant.api_key, randomBytes(MAX_BYTES + 1), "application/pdf");
    assert.equal(big.status, 413);
    assert.match((await big.json()).detail, new RegExp(`at most ${MAX_BYTES}`));
  });

  test("an upload can be a multipart form, as a browser sends it; a broken form or one without its file says why", async () => {
    const tenant = await createTenant(ponte);
    const bytes = randomBytes(300_000);
    const form = new FormData();
    form.append("caption", "catálogo de dezembro");
    form.append("file", new Blob([bytes], { type: "application/pdf" }), "catálogo.pdf");
    const res = await fetch(`${ponte.base}/v1/media`, { method: "POST", headers: { authorization: `Bearer ${tenant.api_key}` }, body: form });
    assert.equal(res.status, 201, await res.clone().text());
    const file = await res.json();
    assert.deepEqual([file.size, file.sha256, file.content_type, file.filename], [bytes.length, sha256(bytes).toString("hex"), "application/pdf", "catálogo.pdf"]);
    const back = await fetch(`${ponte.base}${file.url}`);
    assert.deepEqual(Buffer.from(await back.arrayBuffer()), bytes);
    assert.match(back.headers.get("content-disposition"), /^attachment/);

    const post = (body, type) => fetch(`${ponte.base}/v1/media`, { method: "POST", headers: { authorization: `Bearer ${tenant.api_key}`, "content-type": type }, body });
    const textOnly = new FormData();
    textOnly.append("caption", "sem arquivo");
    const missing = await fetch(`${ponte.base}/v1/media`, { method: "POST", headers: { authorization: `Bearer ${tenant.api_key}` }, body: textOnly });
    assert.equal(missing.status, 422);
    assert.equal((await missing.json()).field, "file");
    const cut = `--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n${"x".repeat(5000)}`;
    const truncated = await post(cut, "multipart/form-data; boundary=b0undary");
    assert.equal(truncated.status, 400);
    assert.match((await truncated.json()).detail, /ends before its file does/);
    const noBoundary = await post(cut, "multipart/form-data");
    assert.equal(noBoundary.status, 422);
    assert.equal((await noBoundary.json()).field, "content-type");
    const over = new FormData();
    over.append("file", new Blob([randomBytes(MAX_BYTES + 1)]), "big.bin");
    const big = await fetch(`${ponte.base}/v1/media`, { method: "POST", headers: { authorization: `Bearer ${tenant.api_key}` }, body: over });
    assert.equal(big.status, 413);
  });

  test("an upload sent by id reaches the gateway as a signed link to its bytes, and is sent once", async () => {
    const tenant = await createTenant(ponte);
    const channel = await createChannel(ponte, tenant.api_key, { provider: "evolution",
      config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY } });
    const inbound = { key: { remoteJid: "5511987650002@s.whatsapp.net", fromMe: false, id: `3EB0UP${++files}` }, pushName: "Rui",
      message: { conversation: "Manda o catálogo?" }, messageType: "conversation", messageTimestamp: Math.floor(Date.now() / 1000) };
    await call(ponte, "POST", channel.path, { body: evolutionEnvelope("messages.upsert", inbound) });
    const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: tenant.api_key })).json.data;
    const bytes = randomBytes(50_000);
    const file = await (await upload(tenant.api_key, bytes, "image/jpeg", "?filename=catalogo.jpg")).json();

    const before = evolution.calls.length;
    const sent = await call(ponte, "POST", "/v1/messages", { key: tenant.api_key,
      body: { conversation_id: conversation.id, type: "image", image: { id: file.id, caption: "Catálogo" } } });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.media.id, file.id, "the upload is the message's attachment");
    assert.equal(sent.json.media.status, "ready");
    const [made] = evolution.calls.slice(before).filter((c) => c.path.startsWith("/message/sendMedia/"));
    assert.equal(made.body.mediatype, "image");
    assert.match(made.body.media, new RegExp(`^${ponte.base}/media/${file.id}\\?exp=\\d+&kid=[0-9a-f]{8}&sig=`));
    const fetched = await fetch(made.body.media);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), bytes, "the link serves the upload to the provider");

    const again = await call(ponte, "POST", "/v1/messages", { key: tenant.api_key,
      body: { conversation_id: conversation.id, type: "image", image: { id: file.id } } });
    assert.equal(again.status, 422);
    assert.equal(again.json.field, "image.id");
    const unknown = await call(ponte, "POST", "/v1/messages", { key: tenant.api_key,
      body: { conversation_id: conversation.id, type: "document", document: { id: "med_doesnotexist" } } });
    assert.equal(unknown.status, 422);
    assert.match(unknown.json.detail, /no such upload/);
  });
});

describe("outbound media through Meta's upload API", () => {
  test("an upload sent by id to a Meta channel goes through POST /{phone_number_id}/media, then is sent by Meta's id", async () => {
    const s = await metaSetup();
    const res = await postWebhook(ponte, s.channel, envelope({ contacts: [{ profile: { name: "Ana" }, wa_id: "5511987650003" }],
      messages: [{ from: "5511987650003", id: `wamid.UPLOAD${++files}`, timestamp: seconds(), type: "text", text: { body: "Manda a nota?" } }] }, s.phoneNumberId));
    assert.equal(res.status, 200, res.text);
    const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;
    const bytes = randomBytes(30_000);
    const file = await (await fetch(`${ponte.base}/v1/media?filename=nota-4521.pdf`, {
      method: "POST", headers: { authorization: `Bearer ${s.key}`, "content-type": "application/pdf" }, body: bytes })).json();
    const sent = await call(ponte, "POST", "/v1/messages", { key: s.key,
      body: { conversation_id: conversation.id, type: "document", document: { id: file.id, caption: "Sua nota" } } });
    assert.equal(sent.status, 201, sent.text);
    const [metaId, uploaded] = [...graph.uploads].find(([, u]) => u.phoneNumberId === s.phoneNumberId);
    assert.deepEqual(uploaded.bytes, bytes, "the upload API got the file's bytes");
    assert.deepEqual([uploaded.type, uploaded.fileType, uploaded.filename], ["application/pdf", "application/pdf", "nota-4521.pdf"]);
    const [message] = graph.calls.filter((c) => c.path === `/v23.0/${s.phoneNumberId}/messages` && c.body?.type === "document");
    assert.deepEqual(message.body.document, { id: metaId, caption: "Sua nota" }, "sent by Meta's id, not a link");
    assert.equal(sent.json.media.id, file.id);
  });
});

describe("inline files", () => {
  test("a voice note Evolution sends inline in base64 is decoded into R2, and its bytes stay out of every row", async () => {
    const tenant = await createTenant(ponte);
    const channel = await createChannel(ponte, tenant.api_key, { provider: "evolution",
      config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY } });
    const bytes = randomBytes(20_000);
    const id = `3EB0B64${++files}`;
    const data = { key: { remoteJid: "5511987650004@s.whatsapp.net", fromMe: false, id }, pushName: "Lia",
      message: { audioMessage: { url: "https://mmg.whatsapp.net/v.enc", mimetype: "audio/ogg", ptt: true,
        fileSha256: sha256(bytes).toString("base64") }, base64: bytes.toString("base64") },
      messageType: "audioMessage", messageTimestamp: Math.floor(Date.now() / 1000) };
    const payload = evolutionEnvelope("messages.upsert", data);
    assert.equal((await call(ponte, "POST", channel.path, { body: payload })).status, 200);
    assert.equal((await call(ponte, "POST", channel.path, { body: payload })).status, 200, "a redelivery");
    const message = await settled(tenant.api_key, id);
    assert.equal(message.media.status, "ready", JSON.stringify(message.media));
    assert.equal(message.media.sha256, sha256(bytes).toString("hex"));
    assert.equal(message.content.voice, true);
    assert.ok(!JSON.stringify(message).includes(bytes.toString("base64").slice(0, 40)), "no base64 in the message");
    const served = await fetch(`${ponte.base}/media/${message.media.id}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), bytes);
    const events = (await call(ponte, "GET", "/v1/webhook-events", { key: tenant.api_key })).json.data;
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.body_in_r2 === true), `the bodies with the file went to R2, not the event rows: ${JSON.stringify(events)}`);
  });
});
