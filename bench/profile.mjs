// `npm run profile [-- <worker>]`: a CPU profile of one of Ponte's Workers under the inbound load
// at concurrency 16, taken through workerd's own inspector (wrangler's inspector proxy reaches
// only the primary Worker). Writes bench/tmp/<worker>.cpuprofile (open it in Chrome DevTools) and
// prints where the time went. Needs `npm run build` first; profiling slows the Worker down, so
// read the shares, not the absolute figures.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { createTenant, startPonte } from "../tests/e2e/harness.mjs";
import { ROOT } from "../tools/wrangler-dev.mjs";
import { listeningPorts, runtimeProcesses } from "./lib/procs.mjs";
import { inboundPhoto, inboundPonte } from "./lib/scenarios.mjs";
import { startGraph } from "../tools/graph-emulator.mjs";
import { startMediaHost } from "../tools/media-host.mjs";

const worker = process.argv[2] ?? "webhook-receiver";
const requests = Number(process.env.BENCH_INBOUND_REQUESTS ?? 2000);

/** The inspector target of `core:user:ponte-<worker>` in the workerd that runs the Workers. */
async function findTarget(workerdPid) {
  for (const port of listeningPorts(workerdPid)) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) })).json();
      const target = targets.find((t) => t.title?.endsWith(`core:user:ponte-${worker}`));
      if (target) return target.webSocketDebuggerUrl;
    } catch {}
  }
  throw new Error(`no inspector target for ponte-${worker}`);
}

function connect(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  });
  const ready = new Promise((resolve, reject) => {
    ws.on("open", resolve);
    ws.on("error", reject);
  });
  // An isolate that runs nothing may leave a command unanswered: fail rather than hang.
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method}`)), 60_000);
    pending.set(++id, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
    ws.send(JSON.stringify({ id, method, params }));
  });
  return { ready, send, close: () => ws.close() };
}

/** Self time per category and per function, in µs per request. */
function summarize(profile) {
  const time = new Map();
  profile.samples.forEach((node, i) => time.set(node, (time.get(node) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const categories = new Map();
  const functions = new Map();
  const add = (map, key, t) => map.set(key, (map.get(key) ?? 0) + t);
  for (const node of profile.nodes) {
    const t = time.get(node.id) ?? 0;
    const { url, functionName } = node.callFrame;
    const name = functionName.replace(/::h[0-9a-f]{16}$/, "") || "(anonymous)";
    let category;
    if (url.includes(".wasm")) category = "Rust (wasm)";
    else if (url.startsWith("cloudflare-internal:")) category = `runtime JS: ${url.slice(20)}`;
    else if (url) category = "bundle JS: wasm-bindgen glue, dev middleware";
    else if (name.startsWith("(")) category = name;
    else category = `runtime native: ${name}`;
    add(categories, category, t);
    add(functions, `${name.slice(0, 110)}  [${category}]`, t);
  }
  const perRequest = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `${(v / requests).toFixed(1).padStart(8)} µs  ${k}`).join("\n");
  return `Self time per webhook, by kind:\n${perRequest(categories, 15)}\n\nTop functions:\n${perRequest(functions, 25)}`;
}

const ponte = await startPonte();
const [graph, host] = await Promise.all([startGraph(), startMediaHost()]);
const photo = inboundPhoto(graph, host);
try {
  const procs = runtimeProcesses(ponte.pid, ponte.port);
  const inspector = connect(await findTarget(procs.roles.workers[0]));
  await inspector.ready;
  const tenant = await createTenant(ponte, "Profile");
  // The isolate takes inspector commands while it runs, so they go out during the warm-up.
  const warmUp = inboundPonte(ponte, tenant, procs, { concurrency: 16, requests: 300, round: 0 }, photo);
  await inspector.send("Runtime.enable");
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  await warmUp;
  await inspector.send("Profiler.start");
  const run = await inboundPonte(ponte, tenant, procs, { concurrency: 16, requests, round: 1 }, photo);
  const { profile } = await inspector.send("Profiler.stop");
  inspector.close();
  mkdirSync(join(ROOT, "bench/tmp"), { recursive: true });
  const file = join(ROOT, `bench/tmp/${worker}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${requests} webhooks at c=16 under the profiler: ${run.throughput.toFixed(0)} req/s, ` +
    `${run.cpu.workers.toFixed(2)} ms CPU each in the Workers' workerd; profile in ${file}\n`);
  console.log(summarize(profile));
} finally {
  ponte.stop();
  await Promise.all([graph.stop(), host.stop()]);
}
