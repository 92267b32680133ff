// A 50 MB attachment passes through media-fetch into R2 and back out, byte for byte, and a 20 MB
// upload of unknown length goes in as a multipart form. The body is
// streamed chunk by chunk with backpressure, never held whole; the peak resident memory of the
// local workerd and the time per MB are reported as diagnostics (`node --test` prints them). They
// are not asserted: locally R2 is simulated inside the same workerd, whose memory grows by
// about three times the file for a bare pipe into R2 as well, so it cannot show the isolate's own.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { startGraph } from "../../tools/graph-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { envelope } from "../../tools/meta-payloads.mjs";
import { call, createMetaChannel, createTenant, postWebhook, startPonte } from "./harness.mjs";

const SIZE = 50 * 1024 * 1024;
let ponte;
let graph;
let host;
before(async () => {
  [graph, host] = await Promise.all([startGraph(), startMediaHost()]);
  ponte = await startPonte();
});
after(async () => {
  ponte?.stop();
  await Promise.all([graph?.stop(), host?.stop()]);
});

/** Resident memory in MiB of every workerd under this Ponte's wrangler. */
function workerdRssMiB(root) {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  const parent = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
    } catch {
      return null;
    }
  };
  const tree = [String(root)];
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((pid) => parent(pid) === tree[i]));
  let total = 0;
  for (const pid of tree) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      const rss = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
      total += rss ? Number(rss[1]) / 1024 : 0;
    } catch {}
  }
  return total;
}

test("a 50 MB document is copied into R2 and served back whole", async (t) => {
  const tenant = await createTenant(ponte);
  const phoneNumberId = "300300399999";
  const accessToken = "EAAG-large";
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl });
  const bytes = randomBytes(SIZE);
  const hash = createHash("sha256").update(bytes).digest("hex");
  const url = host.put("/large/manual.pdf", bytes, "application/pdf", { token: accessToken });
  graph.registerMedia("777000", { urls: [url], mimeType: "application/pdf", sha256: hash, size: SIZE, token: accessToken });

  const before = workerdRssMiB(ponte.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, workerdRssMiB(ponte.pid))), 50);
  const started = performance.now();
  const message = { from: "5511987659999", id: "wamid.LARGE1", timestamp: String(Math.floor(Date.now() / 1000)), type: "document",
    document: { id: "777000", mime_type: "application/pdf", sha256: hash, filename: "manual.pdf" } };
  const res = await postWebhook(ponte, channel, envelope({ contacts: [{ profile: { name: "Ana" }, wa_id: "5511987659999" }], messages: [message] }, phoneNumberId));
  assert.equal(res.status, 200, res.text);
  let stored;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: tenant.api_key })).json.data;
    [stored] = (await call(ponte, "GET", `/v1/conversations/${conversation.id}/messages`, { key: tenant.api_key })).json.data;
    if (stored.media?.status !== "pending") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const copiedMs = performance.now() - started;
  clearInterval(sampler);
  assert.equal(stored.media.status, "ready", JSON.stringify(stored.media));
  assert.equal(stored.media.size, SIZE);
  assert.equal(stored.media.sha256, hash);

  const served = await fetch(`${ponte.base}/media/${stored.media.id}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
  assert.equal(served.status, 200);
  const back = createHash("sha256");
  let length = 0;
  for await (const chunk of served.body) {
    back.update(chunk);
    length += chunk.length;
  }
  assert.equal(length, SIZE);
  assert.equal(back.digest("hex"), hash);

  const grewMiB = peak - before;
  t.diagnostic(`workerd RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB during the copy (+${grewMiB.toFixed(0)} MiB for a 50 MiB file)`);
  t.diagnostic(`copied in ${(copiedMs / 1000).toFixed(1)} s: ${(copiedMs / 50).toFixed(1)} ms per MB, webhook to ready`);
});

test("a 20 MB upload of unknown length, as a streamed multipart form, goes into R2 in parts and comes back whole", async (t) => {
  const tenant = await createTenant(ponte);
  const size = 20 * 1024 * 1024 + 12345; // two whole 8 MiB parts and a short last one
  const bytes = randomBytes(size);
  const boundary = "ponteLargeUpload7MA4YWxk";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="video.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const CHUNK = 256 * 1024;
  let offset = -1;
  // A stream gives no length: fetch sends it chunked, and Ponte cannot know the size up front.
  const body = new ReadableStream({
    pull(controller) {
      if (offset === -1) controller.enqueue(head);
      else if (offset < size) controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      else {
        controller.enqueue(tail);
        controller.close();
      }
      offset = offset === -1 ? 0 : offset + CHUNK;
    },
  });
  const started = performance.now();
  const res = await fetch(`${ponte.base}/v1/media`, {
    method: "POST", duplex: "half", body,
    headers: { authorization: `Bearer ${tenant.api_key}`, "content-type": `multipart/form-data; boundary=${boundary}` },
  });
  const uploadMs = performance.now() - started;
  assert.equal(res.status, 201, await res.clone().text());
  const file = await res.json();
  const hash = createHash("sha256").update(bytes).digest("hex");
  assert.deepEqual([file.size, file.sha256, file.content_type, file.filename], [size, hash, "video/mp4", "video.mp4"]);

  const served = await fetch(`${ponte.base}/media/${file.id}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
  assert.equal(served.status, 200);
  assert.equal(Number(served.headers.get("content-length")), size);
  const back = createHash("sha256");
  for await (const chunk of served.body) back.update(chunk);
  assert.equal(back.digest("hex"), hash);
  t.diagnostic(`uploaded in ${(uploadMs / 1000).toFixed(1)} s: ${(uploadMs / 20).toFixed(1)} ms per MB`);
});
