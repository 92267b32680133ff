// Runs Workers under `wrangler dev` (workerd) on a free port with fresh state in a temp dir, the
// way the end-to-end tests and the benchmarks need them: offline, quiet, and killable as a group.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
export async function startWrangler({ configs, migrate, env = {}, ready, name = "ponte" }) {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const persist = join(dir, "state");
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
  const port = await freePort();
  // Chosen here too: wranglers starting together otherwise race for the same inspector port.
  const inspectorPort = await freePort();
  const started = performance.now();
  const child = spawn(
    "wrangler",
    ["dev", ...configs.flatMap((c) => ["-c", c]), "--ip", "127.0.0.1", "--port", String(port),
     "--inspector-port", String(inspectorPort), "--persist-to", persist,
     "--show-interactive-dev-session=false", "--log-level", "warn"],
    { cwd: ROOT, env: fullEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  const base = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler exited early:\n${logs}`);
    try {
      if (await ready(base)) break;
    } catch {}
    if (Date.now() > deadline) {
      stop();
      throw new Error(`wrangler did not start in time:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, port, inspectorPort, persist, pid: child.pid, startMs: performance.now() - started, stop, logs: () => logs };
}
