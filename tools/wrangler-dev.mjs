// Runs Workers under `wrangler dev` (workerd) on a free port with fresh state in a temp dir, the
// way the end-to-end tests and the benchmarks need them: offline, quiet, and killable as a group.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { descendants, listeningPorts } from "../bench/lib/procs.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export const wranglerEnv = {
  ...process.env,
  PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  // Local request tracing and the local explorer cost time on every request; nothing reads them.
  X_LOCAL_OBSERVABILITY: "false",
  X_LOCAL_EXPLORER: "false",
  NO_COLOR: "1",
};

/**
 * The local D1 database file under a wrangler state directory (`--persist-to`), or null while
 * there is none. Ponte's Workers share one D1 binding, so the state holds one database.
 */
export function d1File(persist) {
  const dir = join(persist, "v3/d1/miniflare-D1DatabaseObject");
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  return file ? join(dir, file) : null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev -c <configs…>` and resolves once `ready(base)` answers true.
 * `migrate`: the config whose D1 migrations to apply first. `env`: extra environment (secrets,
 * and overrides of declared vars, which wrangler takes from process.env for Workers with
 * `[secrets]`). Returns `{ base, persist, pid, startMs, stop, logs }`.
 */
export async function startWrangler({ configs, migrate, env = {}, ready, name = "ponte", persist: keptState }) {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  // `persist`: state to start from and leave behind (a restart with other secrets), owned by the
  // caller; by default the state is fresh and goes with the temp dir.
  const persist = keptState ?? join(dir, "state");
  const fullEnv = {
    ...wranglerEnv,
    ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    // Its own dev registry: wrangler sessions otherwise find each other's same-named Workers.
    WRANGLER_REGISTRY_PATH: join(dir, "registry"),
  };
  if (migrate) {
    execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", migrate],
      { cwd: ROOT, env: fullEnv, stdio: "pipe" });
  }
  // A free port can be taken by another wrangler starting at the same moment (tests run files in
  // parallel): the answer must come from this wrangler's own processes, else it starts again.
  for (let attempt = 1; ; attempt++) {
    const started = await spawnOnFreePort(configs, persist, fullEnv);
    const { child, base, port } = started;
    // Resolves once wrangler has exited, so that the same state can be opened again.
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
    const stop = () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      rmSync(dir, { recursive: true, force: true });
      return exited;
    };
    const outcome = await untilReady(started, ready);
    if (outcome === "ready") {
      return { base, port, inspectorPort: started.inspectorPort, persist, pid: child.pid,
        startMs: performance.now() - started.at, stop, logs: () => started.logs };
    }
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    if (outcome !== "port taken" || attempt === 3) {
      stop();
      throw new Error(`wrangler ${outcome}:\n${started.logs}`);
    }
  }
}

async function spawnOnFreePort(configs, persist, fullEnv) {
  const port = await freePort();
  // Chosen here too: wranglers starting together otherwise race for the same inspector port.
  const inspectorPort = await freePort();
  const at = performance.now();
  const child = spawn(
    "wrangler",
    ["dev", ...configs.flatMap((c) => ["-c", c]), "--ip", "127.0.0.1", "--port", String(port),
     "--inspector-port", String(inspectorPort), "--persist-to", persist,
     "--show-interactive-dev-session=false", "--log-level", "warn",
     // `/__scheduled?cron=…` runs the router's cron triggers on demand.
     "--test-scheduled"],
    { cwd: ROOT, env: fullEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const started = { child, port, inspectorPort, at, base: `http://127.0.0.1:${port}`, logs: "" };
  child.stdout.on("data", (d) => (started.logs += d));
  child.stderr.on("data", (d) => (started.logs += d));
  return started;
}

/** "ready", "port taken" (another process answers on it), "exited early" or "did not start in time". */
async function untilReady({ child, port, base }, ready) {
  const deadline = Date.now() + 180_000;
  let foreignSince = null;
  for (;;) {
    if (child.exitCode !== null) return "exited early";
    const ours = descendants(child.pid).some((pid) => listeningPorts(pid).includes(port));
    let answers = false;
    try {
      answers = await ready(base);
    } catch {}
    if (answers && ours) return "ready";
    if (answers && !ours) {
      foreignSince ??= Date.now();
      if (Date.now() - foreignSince > 5_000) return "port taken";
    }
    if (Date.now() > deadline) return "did not start in time";
    await new Promise((r) => setTimeout(r, 100));
  }
}

