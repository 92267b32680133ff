// `npm run bench` (after scripts/bench.sh has built the release wasm and run the native bench):
// starts the baseline Worker, the storage floor and Ponte side by side under wrangler's local
// runtime with fresh state and a local Graph API emulator, measures each scenario against the
// baselines taken in the same run, prints one table and writes it to bench/results/ as markdown
// and JSON.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createTenant, startPonte } from "../tests/e2e/harness.mjs";
import { startGraph } from "../tools/graph-emulator.mjs";
import { startMediaHost } from "../tools/media-host.mjs";
import { ROOT, startWrangler } from "../tools/wrangler-dev.mjs";
import { mediaFiles, mediaFloor, mediaPonte } from "./lib/media.mjs";
import { runtimeProcesses } from "./lib/procs.mjs";
import { render } from "./lib/report.mjs";
import { inboundBaseline, inboundEvolution, inboundPhoto, inboundPonte, medianRound, pairedRatios, realtime, realtimeFloor, send } from "./lib/scenarios.mjs";

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const settings = {
  levels: [1, 16, 64],
  requests: num("BENCH_INBOUND_REQUESTS", 2000),
  rounds: num("BENCH_ROUNDS", 5),
  sendRequests: num("BENCH_SEND_REQUESTS", 600),
  sendConcurrency: 16,
  realtimeSockets: [100, 1000],
  realtimeEvents: num("BENCH_REALTIME_EVENTS", 100),
  mediaFiles: num("BENCH_MEDIA_FILES", 8),
  mediaMiB: num("BENCH_MEDIA_MIB", 4),
};
const FUNCTIONS = ["webhook-receiver", "send-message", "media-fetch"];

function wasmSize(dir) {
  const bytes = readFileSync(join(ROOT, dir, "build/index_bg.wasm"));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const log = (...args) => console.error("bench:", ...args);
const results = { settings, machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, date: new Date().toISOString() } };

results.size = Object.fromEntries([...FUNCTIONS.map((f) => [f, wasmSize(`functions/${f}`)]), ["baseline", wasmSize("bench/baseline")]]);
const nativeFile = join(ROOT, "bench/results/.native.json");
results.native = existsSync(nativeFile) ? JSON.parse(readFileSync(nativeFile, "utf8")) : null;

// The three inbound targets run side by side, and their rounds alternate, so that a slow spell
// of a shared machine falls on all of them alike rather than on whichever ran then. Ponte takes
// two rounds in each: Meta's webhooks, then Evolution's, each paired with the baseline's round.
const running = [];
const stop = (target) => {
  running.splice(running.indexOf(target), 1);
  target.stop();
};
const stopAll = () => running.splice(0).forEach((r) => r.stop());
try {
  log("baseline: starting");
  const baseline = await startWrangler({
    name: "ponte-bench-baseline",
    configs: ["bench/baseline/wrangler.toml"],
    ready: async (base) => (await fetch(base, { method: "POST", body: "{}" })).status === 200,
  });
  running.push(baseline);
  const baselineProcs = runtimeProcesses(baseline.pid, baseline.port);
  results.baseline = { startMs: baseline.startMs, processes: baselineProcs.roles };

  // The storage floor: the same Worker storing each body with one D1 batch of one INSERT.
  log("storage floor: starting");
  const storageFloor = await startWrangler({
    name: "ponte-bench-storage-floor",
    configs: ["bench/baseline/wrangler.stored.toml"],
    migrate: "bench/baseline/wrangler.stored.toml",
    ready: async (base) => (await fetch(base, { method: "POST", body: "{}" })).status === 200,
  });
  running.push(storageFloor);
  const floorProcs = runtimeProcesses(storageFloor.pid, storageFloor.port);

  log("ponte: starting");
  const graph = await startGraph();
  running.push({ stop: () => graph.stop() });
  const started = performance.now();
  const ponte = await startPonte();
  running.push(ponte);
  // startPonte first applies the D1 migrations (its own wrangler run), then starts the runtime;
  // ponte.startMs counts from the runtime's start to the primary Worker's first answer. The start
  // is complete once a Rust function answers too (an unknown token is webhook-receiver's 404).
  const runtimeStarted = performance.now() - ponte.startMs;
  let firstAnswer = null;
  while (firstAnswer === null) {
    const res = await fetch(`${ponte.base}/webhooks/meta/not-a-token`, { method: "POST", body: "{}" });
    if (res.status === 404) firstAnswer = performance.now() - runtimeStarted;
  }
  const procs = runtimeProcesses(ponte.pid, ponte.port);
  results.ponte = { startMs: firstAnswer, migrateMs: runtimeStarted - started, processes: procs.roles };

  const tenant = await createTenant(ponte, "Bench inbound");
  // The photo every inbound image webhook carries, looked up through the Graph emulator.
  const host = await startMediaHost();
  running.push({ stop: () => host.stop() });
  const photo = inboundPhoto(graph, host);
  log("inbound: warming up");
  const warmUp = { concurrency: 16, requests: 300, round: 0 };
  await inboundBaseline(baseline, baselineProcs, warmUp);
  await inboundBaseline(storageFloor, floorProcs, warmUp);
  await inboundPonte(ponte, tenant, procs, warmUp, photo);
  await inboundEvolution(ponte, tenant, procs, warmUp);
  results.baseline.inbound = [];
  results.storageFloor = { inbound: [] };
  results.ponte.inbound = [];
  results.ponte.inboundEvolution = [];
  for (const concurrency of settings.levels) {
    const runs = { baseline: [], floor: [], ponte: [], evolution: [] };
    for (let round = 1; round <= settings.rounds; round++) {
      log(`inbound c=${concurrency}: round ${round} of ${settings.rounds}`);
      const level = { concurrency, requests: settings.requests, round };
      runs.baseline.push(await inboundBaseline(baseline, baselineProcs, level));
      runs.floor.push(await inboundBaseline(storageFloor, floorProcs, level));
      runs.ponte.push(await inboundPonte(ponte, tenant, procs, level, photo));
      runs.evolution.push(await inboundEvolution(ponte, tenant, procs, level));
    }
    results.baseline.inbound.push(medianRound(runs.baseline));
    results.storageFloor.inbound.push(medianRound(runs.floor));
    results.ponte.inbound.push({ ...medianRound(runs.ponte), ...pairedRatios(runs.ponte, runs.baseline) });
    results.ponte.inboundEvolution.push({ ...medianRound(runs.evolution), ...pairedRatios(runs.evolution, runs.baseline) });
  }
  stop(storageFloor);
  stop(baseline);

  log("ponte: send");
  results.ponte.send = await send(ponte, graph, { concurrency: settings.sendConcurrency, requests: settings.sendRequests });

  // Media: the same files copied into R2 and served back by Ponte and by the media floor, the
  // baseline Worker with an R2 binding (bench/baseline/wrangler.media.toml), each warmed up with
  // one small file first.
  log("media: starting the media floor");
  const mediaFloorTarget = await startWrangler({
    name: "ponte-bench-media-floor",
    configs: ["bench/baseline/wrangler.media.toml"],
    ready: async (base) => (await fetch(`${base}/serve/none`)).status === 404,
  });
  running.push(mediaFloorTarget);
  const mediaFloorProcs = runtimeProcesses(mediaFloorTarget.pid, mediaFloorTarget.port);
  const warmFile = mediaFiles(1, 0.25);
  await mediaPonte(ponte, host, procs, warmFile, { label: "W" });
  await mediaFloor(mediaFloorTarget, host, mediaFloorProcs, warmFile, { label: "W" });
  const files = mediaFiles(settings.mediaFiles, settings.mediaMiB);
  log(`media: ${settings.mediaFiles} × ${settings.mediaMiB} MiB, Ponte`);
  results.ponte.media = await mediaPonte(ponte, host, procs, files, { label: "M" });
  log(`media: ${settings.mediaFiles} × ${settings.mediaMiB} MiB, media floor`);
  results.baseline.media = await mediaFloor(mediaFloorTarget, host, mediaFloorProcs, files, { label: "M" });
  stop(mediaFloorTarget);
  results.ponte.realtime = [];
  for (const sockets of settings.realtimeSockets) {
    log(`ponte: realtime with ${sockets} sockets`);
    results.ponte.realtime.push(await realtime(ponte, procs, { sockets, events: settings.realtimeEvents }));
  }
} finally {
  stopAll();
}

// After Ponte: the floor pushes a frame Ponte really sent, so both move the same bytes.
log("realtime floor: starting");
const floor = await startWrangler({
  name: "ponte-bench-realtime-floor",
  configs: ["bench/realtime-floor/wrangler.toml"],
  ready: async (base) => (await fetch(`${base}/publish`, { method: "POST", body: "{}" })).status === 204,
});
try {
  const procs = runtimeProcesses(floor.pid, floor.port);
  results.baseline.realtime = [];
  for (const ponteRun of results.ponte.realtime) {
    if (ponteRun.frame === null) continue;
    log(`realtime floor: ${ponteRun.sockets} sockets`);
    results.baseline.realtime.push(await realtimeFloor(floor, procs, { sockets: ponteRun.sockets, events: settings.realtimeEvents, frame: ponteRun.frame }));
  }
} finally {
  floor.stop();
}
for (const run of [...results.ponte.realtime, ...results.baseline.realtime]) delete run.frame;

const { markdown, targets } = render(results);
results.targets = targets;
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/latest.json"), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(ROOT, "bench/results/latest.md"), markdown);
console.log(markdown);
