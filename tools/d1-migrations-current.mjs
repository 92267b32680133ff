// `node tools/d1-migrations-current.mjs <persist dir>`: exits 0 when the local D1 database under
// that wrangler state has applied every file in migrations/, 1 when any is missing (or there is
// no database yet). `npm start` asks this first: `wrangler d1 migrations apply` starts a whole
// local runtime to find out the same thing, which takes seconds on every start.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ROOT, d1File } from "./wrangler-dev.mjs";

function applied(file) {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return new Set(db.prepare("SELECT name FROM d1_migrations").all().map((row) => row.name));
  } catch {
    return new Set();
  } finally {
    db.close();
  }
}

const persist = process.argv[2];
const file = persist && d1File(persist);
const wanted = readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql"));
const done = file ? applied(file) : new Set();
const missing = wanted.filter((name) => !done.has(name));
process.exit(missing.length === 0 ? 0 : 1);
