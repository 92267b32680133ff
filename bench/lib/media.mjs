// The media scenario: attachments copied into R2 and served back, by Ponte and by the media floor
// (bench/baseline under wrangler.media.toml), the same files each, all at once on both sides.
//
// Ponte's files arrive the way a gateway that re-hosts media sends them: Evolution API v2
// `messages.upsert` webhooks whose document carries `mediaUrl`, a link to the local media host
// (tools/media-host.mjs), and `fileSha256`. media-fetch (the media queue's consumer) copies them;
// a copy is done when D1's `media` row is `ready`, at its `updated_at`, written right after the
// bytes landed. The floor copies each file on `POST /copy?url=…` and answers once R2 has it.
import { createHash, randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { call, createChannel, createTenant, d1File } from "../../tests/e2e/harness.mjs";
import { API_KEY, INSTANCE, envelope } from "../../tools/evolution-payloads.mjs";
import { percentiles } from "./load.mjs";
import { rssMiB } from "./procs.mjs";

const TYPE = "application/pdf";
const MB = 1e6;

/** `count` distinct random files of `mib` MiB each, with their sha256. */
export function mediaFiles(count, mib) {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(Math.round(mib * 1024 * 1024));
    return { bytes, sha256: createHash("sha256").update(bytes).digest() };
  });
}

/** Samples the resident memory of `pids` every 50 ms until `stop()`, which returns it. */
function memorySampler(pids) {
  const before = rssMiB(pids);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pids))), 50);
  return () => {
    clearInterval(timer);
    return { before, peak: Math.max(peak, rssMiB(pids)) };
  };
}

/** Reads a response's body to its end, hashing it; `{ status, size, sha256 }`. */
async function drain(res) {
  const hash = createHash("sha256");
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      hash.update(chunk);
      size += chunk.length;
    }
  }
  return { status: res.status, size, sha256: hash.digest("hex") };
}

/**
 * GETs every `{ url, headers, sha256 }` at once, each body read whole and held against its hex
 * `sha256`. Identity encoding, so that the bytes moved are the file's.
 */
async function serveAll(gets, totalBytes, procs) {
  const cpuBefore = procs.sample();
  const started = performance.now();
  const served = await Promise.all(gets.map(async ({ url, headers, sha256 }) => {
    const t0 = performance.now();
    try {
      const got = await drain(await fetch(url, { headers: { ...headers, "accept-encoding": "identity" } }));
      return { ...got, ms: performance.now() - t0, match: got.status === 200 && got.sha256 === sha256 };
    } catch (e) {
      return { status: 0, size: 0, ms: performance.now() - t0, match: false, error: String(e) };
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpu = procs.sample();
  const bytes = served.reduce((s, x) => s + x.size, 0);
  return {
    mbPerS: bytes / MB / seconds,
    seconds,
    bytes,
    expectedBytes: totalBytes,
    matching: served.filter((x) => x.match).length,
    errors: served.filter((x) => x.status !== 200).length,
    latencyMs: percentiles(served.map((x) => x.ms)),
    cpuMsPerMiB: (cpu.workers - cpuBefore.workers) / (totalBytes / 1024 / 1024),
  };
}

/**
 * Waits until no attachment of the whole runtime is pending. The inbound rounds' image webhooks
 * queue copies of their own (failing fast: the Graph emulator knows none of their media ids),
 * and the media rows must not measure the time spent behind them in the queue.
 */
async function drainMediaQueue(ponte, timeoutMs = 1_200_000) {
  const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
  const started = Date.now();
  try {
    const pending = db.prepare("SELECT COUNT(*) AS n FROM media WHERE status = 'pending'");
    for (;;) {
      let n = 1;
      try {
        n = pending.get().n;
      } catch {}
      if (n === 0) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`media queue: ${n} copies still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    db.close();
  }
}

/**
 * Ponte: `files` by webhook on a fresh Evolution channel, all posted at once; waits until every
 * attachment is settled, then serves each back with the tenant's key.
 */
export async function mediaPonte(ponte, host, procs, files, { label, timeoutMs = 300_000 }) {
  await drainMediaQueue(ponte);
  const tenant = await createTenant(ponte, `Bench media ${label}`);
  const channel = await createChannel(ponte, tenant.api_key, {
    provider: "evolution",
    name: `Evolution media ${label}`,
    // Never called: the copy reads the media host's links, not the gateway.
    config: { base_url: "http://127.0.0.1:9", instance: INSTANCE },
    secrets: { api_key: API_KEY },
  });
  const bodies = files.map((f, i) => {
    const id = `3EB0MEDIA${label}${i}`;
    const url = host.put(`/ponte/${label}/file-${i}.pdf`, f.bytes, TYPE);
    return JSON.stringify(envelope("messages.upsert", {
      key: { remoteJid: "5511987650100@s.whatsapp.net", fromMe: false, id }, pushName: "Bench",
      message: {
        documentMessage: { url: "https://mmg.whatsapp.net/d/f/bench.enc", mimetype: TYPE, fileName: `file-${i}.pdf`,
          fileLength: String(f.bytes.length), fileSha256: f.sha256.toString("base64") },
        mediaUrl: url,
      },
      messageType: "documentMessage", messageTimestamp: Math.floor(Date.now() / 1000),
    }));
  });
  const totalBytes = files.reduce((s, f) => s + f.bytes.length, 0);

  const memory = memorySampler(procs.roles.workers);
  const cpuBefore = procs.sample();
  const posted = new Array(files.length);
  const started = Date.now();
  const answers = await Promise.all(bodies.map(async (body, i) => {
    posted[i] = Date.now();
    return call(ponte, "POST", channel.path, { body });
  }));
  const rejected = answers.filter((a) => a.status !== 200);
  if (rejected.length) throw new Error(`media webhooks: ${rejected[0].status} ${rejected[0].text}`);

  // D1's rows, read directly: polling the API would spend the Workers' CPU being measured.
  const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
  let rows;
  try {
    const query = db.prepare(`SELECT md.id, md.status, md.size, md.sha256, md.error, md.updated_at, m.provider_message_id AS pid
      FROM media md JOIN messages m ON m.id = md.message_id WHERE md.tenant_id = ?`);
    for (const deadline = Date.now() + timeoutMs; ;) {
      try {
        rows = query.all(tenant.id);
      } catch {
        rows = []; // a write in progress; read again
      }
      if (rows.length === files.length && rows.every((r) => r.status !== "pending")) break;
      if (Date.now() > deadline) {
        const seen = rows.map((r) => ({ id: r.id, status: r.status, error: r.error }));
        throw new Error(`media copy: ${rows.filter((r) => r.status !== "pending").length}/${files.length} settled after ${timeoutMs} ms; rows: ${JSON.stringify(seen)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    db.close();
  }
  const cpu = procs.sample();
  const rss = memory();

  const byIndex = files.map((_, i) => rows.find((r) => r.pid === `3EB0MEDIA${label}${i}`));
  const ready = byIndex.filter((r) => r?.status === "ready");
  const failed = rows.find((r) => r.status === "failed");
  const readyAt = ready.map((r) => r.updated_at);
  const copySeconds = (Math.max(...readyAt) - started) / 1000;
  const copy = {
    mbPerS: ready.reduce((s, r) => s + r.size, 0) / MB / copySeconds,
    seconds: copySeconds,
    bytes: totalBytes,
    ready: ready.length,
    // D1's sha256 is media-fetch's own hash of the bytes it streamed into R2.
    stored: byIndex.filter((r, i) => r?.status === "ready" && r.sha256 === files[i].sha256.toString("hex") && r.size === files[i].bytes.length).length,
    error: failed?.error ?? null,
    latencyMs: percentiles(byIndex.map((r, i) => (r?.status === "ready" ? r.updated_at - posted[i] : undefined))),
    cpuMsPerMiB: (cpu.workers - cpuBefore.workers) / (totalBytes / 1024 / 1024),
    rssMiB: rss,
  };
  const serve = await serveAll(byIndex.map((r, i) => ({
    url: `${ponte.base}/media/${r?.id}`,
    headers: { authorization: `Bearer ${tenant.api_key}` },
    sha256: r?.sha256 ?? files[i].sha256.toString("hex"),
  })), totalBytes, procs);
  return { files: files.length, fileBytes: files[0]?.bytes.length ?? 0, copy, serve };
}

/** The media floor: the same files, each `POST /copy?url=…` at once, then each `GET /serve/…`. */
export async function mediaFloor(floor, host, procs, files, { label }) {
  const keys = files.map((f, i) => {
    const key = `floor/${label}/file-${i}.pdf`;
    host.put(`/${key}`, f.bytes, TYPE);
    return key;
  });
  const totalBytes = files.reduce((s, f) => s + f.bytes.length, 0);
  const memory = memorySampler(procs.roles.workers);
  const cpuBefore = procs.sample();
  const started = performance.now();
  const copied = await Promise.all(keys.map(async (key, i) => {
    const t0 = performance.now();
    const res = await fetch(`${floor.base}/copy?url=${encodeURIComponent(`${host.baseUrl}/${key}`)}`, { method: "POST" });
    const text = await res.text();
    return { ok: res.status === 200 && Number(text) === files[i].bytes.length, status: res.status, text, ms: performance.now() - t0 };
  }));
  const copySeconds = (performance.now() - started) / 1000;
  const cpu = procs.sample();
  const rss = memory();
  const ok = copied.filter((c) => c.ok);
  const copy = {
    mbPerS: ok.reduce((s, c) => s + Number(c.text), 0) / MB / copySeconds,
    seconds: copySeconds,
    bytes: totalBytes,
    ready: ok.length,
    stored: ok.length,
    error: copied.find((c) => !c.ok)?.text ?? null,
    latencyMs: percentiles(copied.map((c) => (c.ok ? c.ms : undefined))),
    cpuMsPerMiB: (cpu.workers - cpuBefore.workers) / (totalBytes / 1024 / 1024),
    rssMiB: rss,
  };
  const serve = await serveAll(keys.map((key, i) => ({
    url: `${floor.base}/serve/${key}`, headers: {}, sha256: files[i].sha256.toString("hex"),
  })), totalBytes, procs);
  return { files: files.length, fileBytes: files[0]?.bytes.length ?? 0, copy, serve };
}
