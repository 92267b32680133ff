// `npm start` skips `wrangler d1 migrations apply` when tools/d1-migrations-current.mjs says the
// local state has them all, so that answer must be right both ways, on state wrangler wrote.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { ROOT, d1File, wranglerEnv } from "../../tools/wrangler-dev.mjs";

const current = (persist) =>
  spawnSync(process.execPath, ["--no-warnings", join(ROOT, "tools/d1-migrations-current.mjs"), persist]).status;

test("local D1 state is current only when every migration file is applied", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ponte-migrations-"));
  const persist = join(dir, "state");
  try {
    assert.equal(current(persist), 1, "no state yet: migrations are due");

    execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist,
      "-c", "functions/webhook-receiver/wrangler.toml"], { cwd: ROOT, env: wranglerEnv, stdio: "pipe" });
    assert.equal(current(persist), 0, "wrangler applied them all");

    const last = readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort().at(-1);
    const db = new DatabaseSync(d1File(persist));
    db.prepare("DELETE FROM d1_migrations WHERE name = ?").run(last);
    db.close();
    assert.equal(current(persist), 1, `${last} is no longer recorded: it is due again`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
