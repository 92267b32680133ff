// `npm run reseal`: seals every channel's provider secrets again under the current master key,
// page by page through POST /v1/operator/reseal, after PONTE_MASTER_KEY was rotated (README,
// "Rotating the master key"). Safe to run again: channels already current are only counted.
//
//   PONTE_URL=https://ponte.example.com PONTE_OPERATOR_KEY=… npm run reseal [-- --page 100]
//
// PONTE_URL defaults to the local run's http://127.0.0.1:8787. Exits 1 when a channel could not
// be opened (sealed under a key the deployment no longer holds): set PONTE_MASTER_KEY_PREVIOUS to
// that key and run it again.
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { page: { type: "string", default: "100" } } });
const base = (process.env.PONTE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const operatorKey = process.env.PONTE_OPERATOR_KEY;
if (!operatorKey) {
  console.error("reseal: set PONTE_OPERATOR_KEY (and PONTE_URL for a deployed Ponte)");
  process.exit(2);
}

const totals = { resealed: 0, already_current: 0, failed: 0 };
const failedChannels = [];
let cursor = null;
let keyId;
do {
  const url = new URL(`${base}/v1/operator/reseal`);
  url.searchParams.set("limit", values.page);
  if (cursor) url.searchParams.set("cursor", cursor);
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${operatorKey}` } });
  const text = await res.text();
  if (!res.ok) {
    console.error(`reseal: ${res.status} from ${url.pathname}: ${text}`);
    process.exit(1);
  }
  const page = JSON.parse(text);
  keyId = page.key_id;
  for (const name of Object.keys(totals)) totals[name] += page[name];
  failedChannels.push(...page.failed_channels);
  cursor = page.next_cursor;
} while (cursor);

console.log(`reseal: under key ${keyId}: ${totals.resealed} re-sealed, ${totals.already_current} already current, ` +
  `${totals.failed} failed${failedChannels.length ? ` (${failedChannels.join(", ")})` : ""}`);
process.exit(totals.failed ? 1 : 0);
