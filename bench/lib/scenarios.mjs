// The measured scenarios: inbound webhooks (Ponte's Meta and Evolution endpoints, and the
// baseline), sends, and realtime fan-out.
import { createHash, randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { call, createChannel, createMetaChannel, createTenant, d1File, postWebhook } from "../../tests/e2e/harness.mjs";
import { API_KEY, INSTANCE } from "../../tools/evolution-payloads.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";
import { listen } from "./listener.mjs";
import { runLoad, percentiles } from "./load.mjs";
import { perRequest } from "./procs.mjs";
import { evolutionWorkload, imageId, metaWorkload, sign } from "./webhooks.mjs";

const phoneId = (() => {
  let n = 0;
  return () => `2002003000${String(++n).padStart(5, "0")}`;
})();

/** The 16 KiB photo every inbound image webhook carries, served by `host` behind `graph`'s lookup. */
export function inboundPhoto(graph, host) {
  const bytes = randomBytes(16 * 1024);
  const token = "EAAG-bench-inbound";
  const url = host.put("/bench/photo.jpg", bytes, "image/jpeg", { token });
  return { graph, token, url, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * One round of Meta's signed webhooks at `concurrency` on a fresh channel of `tenant`, then the
 * exactly-once check. The images' attachments are real: `photo` is served by the media host
 * through the Graph emulator's lookup, and media-fetch copies each into R2 on the same cores
 * while the round runs, as part of what the round costs.
 */
export async function inboundPonte(ponte, tenant, procs, level, photo) {
  const phoneNumberId = phoneId();
  photo.graph.register(phoneNumberId, photo.token);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken: photo.token, graphBaseUrl: photo.graph.baseUrl });
  return inboundRound(ponte, procs, level, {
    channel,
    workload: (label, count) => {
      for (let i = 0; i < count; i++) {
        photo.graph.registerMedia(imageId(label, i), { urls: [photo.url], mimeType: "image/jpeg", sha256: photo.sha256, size: photo.size, token: photo.token });
      }
      return metaWorkload(phoneNumberId, label, count, photo.sha256);
    },
    headers: (body) => ({ "x-hub-signature-256": sign(channel.appSecret, body) }),
  });
}

/**
 * The same round in Evolution API v2's webhooks. They are unsigned: the URL's token and the
 * body's `apikey` authenticate.
 */
export async function inboundEvolution(ponte, tenant, procs, level) {
  const channel = await createChannel(ponte, tenant.api_key, {
    provider: "evolution",
    name: `Evolution ${level.concurrency}/${level.round}`,
    // Never called: receiving needs nothing from the gateway.
    config: { base_url: "http://127.0.0.1:9", instance: INSTANCE },
    secrets: { api_key: API_KEY },
  });
  return inboundRound(ponte, procs, level, { channel, workload: evolutionWorkload, headers: () => ({}) });
}

/**
 * Posts the workload's echoes, then its bodies under load, then checks D1. `headers(body)` is
 * what the provider sends beside a body; it is computed before the load starts, so that the
 * client's signing does not take CPU from what it measures.
 */
async function inboundRound(ponte, procs, { concurrency, requests, round }, { channel, workload, headers }) {
  const label = `C${concurrency}R${round}`;
  const work = workload(label, requests);
  for (const body of work.echoes) {
    const res = await call(ponte, "POST", channel.path, { body, headers: headers(body) });
    if (res.status !== 200) throw new Error(`seeding echoes: ${res.status} ${res.text}`);
  }
  const sent = work.bodies.map(headers);
  const before = procs.sample();
  const load = await runLoad({
    base: ponte.base, concurrency, requests,
    make: (i) => ({ path: channel.path, body: work.bodies[i], headers: sent[i] }),
  });
  const cpu = perRequest(before, procs.sample(), requests);
  return { ...load, cpu, check: exactlyOnce(ponte, channel.id, label, work) };
}

/** What D1 holds for the channel must be exactly what the workload implies. */
function exactlyOnce(ponte, channelId, label, workload) {
  const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
  try {
    const inbound = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT provider_message_id) AS d FROM messages WHERE channel_id = ? AND direction = 'inbound'").get(channelId);
    const delivered = db.prepare("SELECT COUNT(*) AS n FROM messages WHERE channel_id = ? AND direction = 'outbound' AND status = 'delivered'").get(channelId);
    const ok = inbound.n === workload.messages && inbound.d === workload.messages && delivered.n === workload.statuses;
    return { ok, expectedMessages: workload.messages, storedMessages: inbound.n, expectedStatuses: workload.statuses, appliedStatuses: delivered.n, label };
  } finally {
    db.close();
  }
}

/** One round of the same requests to a baseline Worker (bench/baseline), unsigned. */
export async function inboundBaseline(baseline, procs, { concurrency, requests, round }) {
  const workload = metaWorkload("1", `B${concurrency}R${round}`, requests);
  const before = procs.sample();
  const load = await runLoad({
    base: baseline.base, concurrency, requests,
    make: (i) => ({ path: "/webhooks/meta/baseline", body: workload.bodies[i], headers: { "x-hub-signature-256": "sha256=00" } }),
  });
  return { ...load, cpu: perRequest(before, procs.sample(), requests) };
}

/**
 * The round with the median throughput stands for the level; every round's throughput is kept,
 * errors are counted over all rounds, and exactly once must have held in each.
 */
export function medianRound(rounds) {
  const sorted = [...rounds].sort((a, b) => a.throughput - b.throughput);
  const median = { ...sorted[Math.floor(sorted.length / 2)] };
  median.errors = rounds.reduce((sum, r) => sum + r.errors, 0);
  median.rounds = rounds.map((r) => r.throughput);
  if (rounds.every((r) => r.check)) {
    const failed = rounds.find((r) => !r.check.ok);
    median.check = failed ? failed.check : median.check;
  }
  return median;
}

/**
 * Ponte's throughput over the baseline's, round by round. Rounds alternate between the two, so a
 * round's pair ran minutes apart at most and shared the machine's mood; the median of the pairs'
 * ratios is steadier than the ratio of two medians taken from different moments.
 */
export function pairedRatios(ponteRounds, baselineRounds) {
  const ratios = ponteRounds.map((p, i) => p.throughput / baselineRounds[i].throughput);
  const sorted = [...ratios].sort((a, b) => a - b);
  return { ratio: sorted[Math.floor(sorted.length / 2)], roundRatios: ratios };
}

/** POST /v1/messages until the emulator has received each send. */
export async function send(ponte, graph, { concurrency, requests }) {
  const tenant = await createTenant(ponte, "Bench send");
  const phoneNumberId = phoneId();
  const accessToken = `EAAG-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl });
  const contacts = 50;
  for (let c = 0; c < contacts; c++) {
    const from = `55119${String(20_000_000 + c).slice(-8)}`;
    await postWebhook(ponte, channel, metaText({ from, name: `C${c}`, id: `wamid.SEND.IN${c}`, body: "Oi", phoneNumberId }));
  }
  const conversations = (await call(ponte, "GET", "/v1/conversations?limit=200", { key: tenant.api_key })).json.data;
  const bodies = Array.from({ length: requests }, (_, i) => JSON.stringify({
    conversation_id: conversations[i % conversations.length].id, type: "text", text: { body: `Resposta ${i}` },
  }));
  const started = new Array(requests);
  const firstCall = graph.calls.length;
  const load = await runLoad({
    base: ponte.base, concurrency, requests,
    make: (i) => {
      started[i] = performance.now();
      return { path: "/v1/messages", body: bodies[i], headers: { authorization: `Bearer ${tenant.api_key}` } };
    },
  });
  const receipt = [];
  for (const c of graph.calls.slice(firstCall)) {
    const i = Number(c.body?.text?.body?.split(" ")[1]);
    if (Number.isInteger(i) && started[i] !== undefined) receipt.push(c.atPerf - started[i]);
  }
  return { ...load, receivedByEmulator: receipt.length, toReceipt: percentiles(receipt) };
}

/** `sockets` WebSockets on one tenant; `events` webhooks posted one after another. */
export async function realtime(ponte, procs, { sockets, events }) {
  const tenant = await createTenant(ponte, `Bench realtime ${sockets}`);
  const phoneNumberId = phoneId();
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId });
  // A short-lived token in the URL, as a browser would; an API key is refused there.
  const minted = await call(ponte, "POST", "/v1/tokens", { key: tenant.api_key, body: { sub: "bench", ttl_seconds: 3600 } });
  if (minted.status !== 201) throw new Error(`minting a token: ${minted.status} ${minted.text}`);
  const url = `${ponte.base.replace(/^http/, "ws")}/v1/realtime?access_token=${encodeURIComponent(minted.json.token)}`;
  return fanOut({ url, procs, sockets, events, publish: async (id, e) => {
    const body = JSON.stringify(metaText({ from: "5511987654321", name: "Ana", id, body: `Evento ${e}`, phoneNumberId }));
    const res = await postWebhook(ponte, channel, body);
    if (res.status !== 200) throw new Error(`realtime webhook: ${res.status} ${res.text}`);
  } });
}

/**
 * The same sockets and events on the realtime floor (bench/realtime-floor): a bare Durable Object
 * that pushes the frame it is given, here one of Ponte's own `message.created` frames, to every
 * socket. What it costs is what the runtime costs.
 */
export async function realtimeFloor(floor, procs, { sockets, events, frame }) {
  const template = JSON.parse(frame);
  return fanOut({ url: `${floor.base.replace(/^http/, "ws")}/connect`, procs, sockets, events, publish: async (id, e) => {
    template.seq = e + 1;
    template.message.provider_message_id = id;
    const res = await fetch(`${floor.base}/publish`, { method: "POST", body: JSON.stringify(template) });
    if (res.status !== 204) throw new Error(`realtime floor: ${res.status}`);
  } });
}

/** Opens the sockets, then publishes `events` one after another, each awaited on every socket. */
async function fanOut({ url, procs, sockets, events, publish }) {
  const open = [];
  for (let i = 0; i < sockets; i += 50) {
    open.push(...(await Promise.all(Array.from({ length: Math.min(50, sockets - i) }, () => listen(url)))));
  }
  const latencies = [];
  let missed = 0;
  const before = procs.sample();
  const clientBefore = process.cpuUsage();
  for (let e = 0; e < events; e++) {
    const id = `wamid.RT${sockets}.${e}`;
    let started;
    const arrivals = open.map((s) => s.arrival(id, 5000).then(
      (receivedAt) => latencies.push(receivedAt - started),
      () => (missed += 1),
    ));
    started = performance.now();
    await publish(id, e);
    await Promise.all(arrivals);
  }
  const cpu = perRequest(before, procs.sample(), events);
  const client = process.cpuUsage(clientBefore);
  cpu.client = (client.user + client.system) / 1000 / events;
  const frame = open.map((s) => s.sample()).find((f) => f !== null) ?? null;
  for (const s of open) s.close();
  return { sockets, events, deliveries: latencies.length, missed, cpu, frame, frameBytes: frame?.length ?? 0, ...percentiles(latencies) };
}
