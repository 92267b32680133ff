// One table from a bench run, with each target checked against the same run's baseline.
const MiB = 1024 * 1024;
const f1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? "–" : x.toFixed(1));
const f2 = (x) => (x === undefined || x === null || !Number.isFinite(x) ? "–" : x.toFixed(2));
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

export function render(r) {
  const rows = [];
  const targets = [];
  const target = (name, value, limit, ok) => {
    targets.push({ name, value, limit, met: ok });
    return ok ? "met" : "**missed**";
  };

  /**
   * One provider's inbound rounds, level by level, against the baseline's. `provider` names the
   * rows of any but Meta's; the throughput target is Meta's alone, exactly once is everyone's.
   */
  const inbound = (runs, { provider, throughputTarget }) => runs.forEach((p, i) => {
    const b = r.baseline.inbound[i];
    const named = (word) => (provider ? `${word} ${provider}` : word);
    const title = `${named("Inbound")} c=${p.concurrency}`;
    const gated = throughputTarget && p.concurrency === 16;
    // The median of the rounds' paired ratios (bench/lib/scenarios.mjs: pairedRatios).
    const ratio = p.ratio ?? p.throughput / b.throughput;
    const verdict = gated ? target("inbound throughput at c=16 / baseline", ratio, "≥ 0.5", ratio >= 0.5) : "";
    rows.push([`${title}: req/s`, f1(p.throughput), f1(b.throughput), f2(ratio), gated ? "≥ 0.5×" : "", verdict]);
    if (p.roundRatios) rows.push([`${title}: ratio in each round`, "", "", p.roundRatios.map(f2).join(" / "), "", ""]);
    rows.push([`${title}: p50 / p99 ms`, `${f1(p.p50)} / ${f1(p.p99)}`, `${f1(b.p50)} / ${f1(b.p99)}`, "", "", ""]);
    const once = `${named("inbound")} c=${p.concurrency} exactly once, no errors`;
    rows.push([`${title}: errors; stored exactly once`, `${p.errors}; ${p.check.ok ? "yes" : `NO (${p.check.storedMessages}/${p.check.expectedMessages} msgs, ${p.check.appliedStatuses}/${p.check.expectedStatuses} statuses)`}`, `${b.errors}`, "", "0; yes", p.errors === 0 && p.check.ok ? target(once, 1, 1, true) : target(once, 0, 1, false)]);
  });
  inbound(r.ponte.inbound, { throughputTarget: true });
  inbound(r.ponte.inboundEvolution ?? [], { provider: "Evolution", throughputTarget: false });

  r.storageFloor?.inbound.forEach((f) => {
    const p = r.ponte.inbound.find((x) => x.concurrency === f.concurrency);
    rows.push([`Inbound c=${f.concurrency}: req/s against the storage floor`, f1(p.throughput), f1(f.throughput), f2(p.throughput / f.throughput), "", ""]);
  });

  const total = (runs, role) => runs.reduce((s, x) => s + x.cpu[role] * x.requests, 0) / runs.reduce((s, x) => s + x.requests, 0);
  for (const role of ["workers", "proxy", "node"]) {
    const p = total(r.ponte.inbound, role);
    const b = total(r.baseline.inbound, role);
    const label = { workers: "workerd running the Workers", proxy: "workerd dev proxy", node: "wrangler's node" }[role];
    const verdict = role === "workers" ? target("CPU per webhook (Workers' workerd) / baseline", p / b, "≤ 2", p / b <= 2) : "";
    rows.push([`CPU ms per webhook: ${label}`, f2(p), f2(b), f2(p / b), role === "workers" ? "≤ 2×" : "", verdict]);
  }
  if (r.ponte.inboundEvolution) {
    const p = total(r.ponte.inboundEvolution, "workers");
    const b = total(r.baseline.inbound, "workers");
    rows.push(["CPU ms per Evolution webhook: workerd running the Workers", f2(p), f2(b), f2(p / b), "", ""]);
  }
  if (r.storageFloor) {
    const p = total(r.ponte.inbound, "workers");
    const f = total(r.storageFloor.inbound, "workers");
    rows.push(["CPU ms per webhook: Workers' workerd, against the storage floor", f2(p), f2(f), f2(p / f), "", ""]);
  }

  const s = r.ponte.send;
  rows.push([`Send c=${s.concurrency}: req/s`, f1(s.throughput), "", "", "", ""]);
  rows.push([`Send: API answer p50 / p99 ms`, `${f1(s.p50)} / ${f1(s.p99)}`, "", "", "", ""]);
  rows.push([`Send: to the emulator's receipt p50 / p99 ms`, `${f1(s.toReceipt.p50)} / ${f1(s.toReceipt.p99)}`, "", "", "", ""]);
  rows.push([`Send: errors; received by the emulator`, `${s.errors}; ${s.receivedByEmulator}/${s.requests}`, "", "", "", ""]);

  if (r.ponte.media && r.baseline.media) {
    const p = r.ponte.media;
    const b = r.baseline.media;
    const what = `${p.files} × ${f1(p.fileBytes / MiB)} MiB`;
    const ms = (l) => `${f1(l.p50)} / ${f1(l.max)}`;
    rows.push([`Media copy into R2 (${what}): MB/s`, f1(p.copy.mbPerS), f1(b.copy.mbPerS), f2(p.copy.mbPerS / b.copy.mbPerS), "", ""]);
    rows.push(["Media copy: per file p50 / max ms", ms(p.copy.latencyMs), ms(b.copy.latencyMs), f2(p.copy.latencyMs.p50 / b.copy.latencyMs.p50), "", ""]);
    rows.push(["Media copy: CPU ms per MiB, Workers' workerd", f2(p.copy.cpuMsPerMiB), f2(b.copy.cpuMsPerMiB), f2(p.copy.cpuMsPerMiB / b.copy.cpuMsPerMiB), "", ""]);
    const rss = (m) => `${m.before.toFixed(0)} → ${m.peak.toFixed(0)}`;
    rows.push(["Media copy: Workers' workerd RSS before → peak MiB", rss(p.copy.rssMiB), rss(b.copy.rssMiB), "", "", ""]);
    rows.push([`Media served from R2 (${what}): MB/s`, f1(p.serve.mbPerS), f1(b.serve.mbPerS), f2(p.serve.mbPerS / b.serve.mbPerS), "", ""]);
    rows.push(["Media served: per file p50 / max ms", ms(p.serve.latencyMs), ms(b.serve.latencyMs), f2(p.serve.latencyMs.p50 / b.serve.latencyMs.p50), "", ""]);
    rows.push(["Media served: CPU ms per MiB, Workers' workerd", f2(p.serve.cpuMsPerMiB), f2(b.serve.cpuMsPerMiB), f2(p.serve.cpuMsPerMiB / b.serve.cpuMsPerMiB), "", ""]);
    const check = (m) => `${m.copy.ready}/${m.files}; ${m.copy.stored}/${m.files}; ${m.serve.matching}/${m.files}`;
    const whole = (m) => m.copy.stored === m.files && m.serve.matching === m.files;
    rows.push(["Media: copied; stored bytes match; served bytes match sha256", check(p), check(b), "", "all", whole(p) && whole(b) ? target("media copied and served back byte for byte", 1, 1, true) : target("media copied and served back byte for byte", 0, 1, false)]);
  }

  r.ponte.realtime.forEach((rt, i) => {
    const floor = r.baseline.realtime?.[i];
    const ok = rt.p99 < 50 && rt.missed === 0;
    const verdict = rt.sockets === 1000 ? target("realtime p99 with 1,000 sockets, no missed events", rt.p99, "< 50 ms, 0 missed", ok) : "";
    rows.push([`Realtime ${rt.sockets} sockets: publish → every socket p50 / p99 ms`, `${f1(rt.p50)} / ${f1(rt.p99)}`, floor ? `${f1(floor.p50)} / ${f1(floor.p99)}` : "", floor ? f2(rt.p99 / floor.p99) : "", rt.sockets === 1000 ? "p99 < 50" : "", verdict]);
    rows.push([`Realtime ${rt.sockets} sockets: missed of ${rt.sockets * rt.events}`, `${rt.missed}`, floor ? `${floor.missed}` : "", "", rt.sockets === 1000 ? "0" : "", ""]);
    const cpu = (c) => (c ? `${f1(c.workers)} / ${f1(c.proxy)} / ${f1(c.client)}` : "");
    rows.push([`Realtime ${rt.sockets} sockets: CPU ms per event (Workers / proxy / this client)`, cpu(rt.cpu), cpu(floor?.cpu), floor ? f2(rt.cpu.workers / floor.cpu.workers) : "", "", ""]);
  });

  if (r.native) {
    const n = r.native;
    rows.push(["Native Meta normalize: events/s per core", f1(n.adapter_events_per_s), "", "", "", ""]);
    rows.push(["Native serde_json::Value parse (floor): events/s", f1(n.floor_events_per_s), "", f2(n.ratio_to_floor), "≥ 0.5×", target("native normalize / JSON parse floor", n.ratio_to_floor, "≥ 0.5", n.ratio_to_floor >= 0.5)]);
  }

  for (const [name, size] of Object.entries(r.size)) {
    const fn = name !== "baseline";
    rows.push([`wasm ${name}: raw / gzip`, `${kb(size.raw)} / ${kb(size.gzip)}`, "", "", fn ? "< 1 MiB gzip" : "", fn ? target(`${name} gzip < 1 MiB`, size.gzip, MiB, size.gzip < MiB) : ""]);
  }
  rows.push(["Runtime start to first answer, ms", f1(r.ponte.startMs), f1(r.baseline.startMs), f2(r.ponte.startMs / r.baseline.startMs), "", ""]);
  if (r.ponte.migrateMs !== undefined) rows.push(["D1 migrations on fresh state (before the start), ms", f1(r.ponte.migrateMs), "", "", "", ""]);

  const header = ["Measure", "Ponte", "Baseline", "Ratio", "Target", ""];
  const line = (cells) => `| ${cells.join(" | ")} |`;
  const m = r.machine;
  const markdown = [
    `# Ponte benchmark`,
    "",
    `${m.date} · ${m.cores} cores (${m.cpu}) · Node ${m.node} · wrangler dev, local runtime, fresh state`,
    "",
    `Inbound: ${r.settings.requests} signed Meta webhooks per level (text, image, status; each distinct), closed loop;`,
    `${r.settings.rounds ?? 1} rounds per level, Ponte's and the baselines' alternating, each shown by its median-throughput round;`,
    `the throughput ratio is the median of the rounds' ratios, each Ponte round over the baseline round beside it.`,
    `Each image webhook's photo (16 KiB) is copied into R2 by media-fetch on the same two cores while the rounds run (one Graph lookup, one download, one R2 put).`,
    ...(r.ponte.inboundEvolution ? [
      `Inbound Evolution: the same mix as Evolution API v2 webhooks, unsigned (the URL's token and the body's apikey authenticate),`,
      `a round of them after each Meta round, paired with the same baseline round.`,
    ] : []),
    `Load: a closed-loop HTTP/1.1 client of the bench's own (bench/lib/load.mjs), one kept-alive connection per request in flight.`,
    `Baseline: a minimal Rust Worker (same release profile) that reads the body and answers 200.`,
    `Storage floor: the same Worker storing each body with one D1 batch of one INSERT first (bench/baseline/wrangler.stored.toml);`,
    `no Worker that stores a webhook in D1 costs less on this runtime. Its rows put it in the Baseline column.`,
    `Realtime: Ponte publishes by webhook; its baseline is the runtime's floor (bench/realtime-floor), a bare Durable Object`,
    `pushing the same ${r.ponte.realtime[0]?.frameBytes ?? "?"}-byte frame to every socket with the same hibernation API. Each event is awaited on every socket before the next.`,
    ...(r.ponte.media ? [
      `Media: ${r.ponte.media.files} files of ${f1(r.ponte.media.fileBytes / MiB)} MiB, all at once. Ponte gets them as Evolution webhooks whose document links to a local file host;`,
      `media-fetch (the media queue's consumer) copies them, each done at its D1 row's ready time. The media floor (the baseline Worker under`,
      `bench/baseline/wrangler.media.toml) puts each fetched body straight into R2 on POST /copy. MB/s: MB (10^6 bytes) from the first webhook or`,
      `POST to the last file in R2, and from the first GET to the last body read whole (/media/{id} with the tenant's key; the floor's /serve/{key}).`,
    ] : []),
    "",
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
    "",
  ].join("\n");
  return { markdown, targets };
}
