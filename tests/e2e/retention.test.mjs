// Retention (issue 15): the daily job, run through the router's cron at wrangler's /__scheduled,
// deletes raw webhook bodies (D1 and R2) after RETENTION_WEBHOOK_DAYS, pending statuses after 7
// days, idempotency keys after 48 hours and dead letters after 30 days. Old rows are planted by
// aging real ones, or written, through node:sqlite on the local D1 file; the event rows stay.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, test } from "node:test";
import { call, d1File, postWebhook, startPonte, tenantWithChannel } from "./harness.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";

const RETENTION_CRON = "30 3 * * *";
// Set below the default 30, so that a job ignoring the variable keeps the 15-day-old bodies.
const WEBHOOK_DAYS = 10;
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
let ponte;
let setup;

const runRetention = async () => {
  const res = await fetch(`${ponte.base}/__scheduled?cron=${encodeURIComponent(RETENTION_CRON)}`);
  assert.equal(res.status, 200, await res.text());
};
const withDb = (body) => {
  const db = new DatabaseSync(d1File(ponte.persist));
  try {
    return body(db);
  } finally {
    db.close();
  }
};

/** Whether local R2 holds `key` (Miniflare keeps each bucket's index in a SQLite file). */
function r2Has(key) {
  const dir = join(ponte.persist, "v3/r2/miniflare-R2BucketObject");
  if (!existsSync(dir)) return false;
  return readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite").some((file) => {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      return Boolean(db.prepare("SELECT 1 FROM _mf_objects WHERE key = ?").get(key));
    } finally {
      db.close();
    }
  });
}

const events = async () => (await call(ponte, "GET", "/v1/webhook-events?limit=200", { key: setup.key })).json.data;

before(async () => {
  ponte = await startPonte({ vars: { RETENTION_WEBHOOK_DAYS: WEBHOOK_DAYS } });
  const { tenant, key, channel } = await tenantWithChannel(ponte);
  const post = async (n, text) => {
    const res = await postWebhook(ponte, channel, metaText({ id: `wamid.RET${n}`, body: text, phoneNumberId: channel.phoneNumberId }));
    assert.equal(res.status, 200, res.text);
  };
  // Two small bodies (kept in their rows) and two past the row limit (kept in R2).
  await post(1, "small old");
  await post(2, "small young");
  await post(3, `big old ${"x".repeat(300 * 1024)}`);
  await post(4, `big young ${"y".repeat(300 * 1024)}`);
  const eventsInOrder = withDb((db) => db.prepare("SELECT id, body_r2_key FROM webhook_events WHERE tenant_id = ? ORDER BY seq").all(tenant.id));
  assert.equal(eventsInOrder.length, 4);
  const [smallOld, smallYoung, bigOld, bigYoung] = eventsInOrder;
  assert.equal(smallOld.body_r2_key, null);
  assert.match(bigOld.body_r2_key, /^webhook-bodies\//);
  assert.ok(r2Has(bigOld.body_r2_key) && r2Has(bigYoung.body_r2_key), "both big bodies are in R2 before the job");

  const now = Date.now();
  withDb((db) => {
    const age = db.prepare("UPDATE webhook_events SET received_at = ? WHERE id = ?");
    for (const e of [smallOld, bigOld]) age.run(now - (WEBHOOK_DAYS + 5) * DAY, e.id);
    for (const e of [smallYoung, bigYoung]) age.run(now - (WEBHOOK_DAYS - 5) * DAY, e.id);
    const pending = db.prepare("INSERT INTO pending_statuses (channel_id, provider_message_id, status, status_rank, " +
      "status_at, received_at, tenant_id) VALUES (?, ?, 'delivered', 2, ?, ?, ?)");
    pending.run(channel.id, "wamid.PENDING-OLD", now - 8 * DAY, now - 8 * DAY, tenant.id);
    pending.run(channel.id, "wamid.PENDING-YOUNG", now - 6 * DAY, now - 6 * DAY, tenant.id);
    const idempotency = db.prepare("INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at) " +
      "VALUES (?, ?, 'hash', 'msg_x', ?)");
    idempotency.run(tenant.id, "key-old", now - 49 * HOUR);
    idempotency.run(tenant.id, "key-young", now - 47 * HOUR);
    const dead = db.prepare("INSERT INTO dead_letters (tenant_id, message_id, attempts, reason, created_at) VALUES (?, ?, 6, 'x', ?)");
    dead.run(tenant.id, "msg_dead_old", now - 31 * DAY);
    dead.run(tenant.id, "msg_dead_young", now - 29 * DAY);
  });
  setup = { tenant, key, channel, smallOld, smallYoung, bigOld, bigYoung };
});

after(() => ponte?.stop());

test("the retention cron drops exactly the expired bodies, statuses, keys and dead letters; event rows stay", async () => {
  await runRetention();
  const { smallOld, smallYoung, bigOld, bigYoung, tenant } = setup;

  const listed = Object.fromEntries((await events()).map((e) => [e.id, e]));
  assert.equal(Object.keys(listed).length, 4, "every event row stays in the log");
  for (const e of [smallOld, bigOld]) {
    assert.equal(typeof listed[e.id].body_purged_at, "number", "the API shows the body was purged");
    assert.equal(listed[e.id].body_in_r2, false);
    assert.ok(listed[e.id].body_bytes > 0, "what the event was is still told");
  }
  for (const e of [smallYoung, bigYoung]) assert.equal(listed[e.id].body_purged_at, null);
  assert.equal(listed[bigYoung.id].body_in_r2, true);

  assert.equal(r2Has(bigOld.body_r2_key), false, "the old body's R2 object is deleted");
  assert.equal(r2Has(bigYoung.body_r2_key), true, "the young body's R2 object stays");

  const left = withDb((db) => ({
    bodies: Object.fromEntries(db.prepare("SELECT id, body IS NOT NULL AS has FROM webhook_events WHERE tenant_id = ?")
      .all(tenant.id).map((r) => [r.id, Boolean(r.has)])),
    pending: db.prepare("SELECT provider_message_id AS id FROM pending_statuses WHERE tenant_id = ?").all(tenant.id).map((r) => r.id),
    keys: db.prepare("SELECT key FROM idempotency_keys WHERE tenant_id = ?").all(tenant.id).map((r) => r.key),
    dead: db.prepare("SELECT message_id FROM dead_letters WHERE tenant_id = ?").all(tenant.id).map((r) => r.message_id),
    messages: db.prepare("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ?").get(tenant.id).n,
  }));
  assert.deepEqual(left.bodies, { [smallOld.id]: false, [smallYoung.id]: true, [bigOld.id]: false, [bigYoung.id]: false });
  assert.deepEqual(left.pending, ["wamid.PENDING-YOUNG"]);
  assert.deepEqual(left.keys, ["key-young"]);
  assert.deepEqual(left.dead, ["msg_dead_young"]);
  assert.equal(left.messages, 4, "the messages the webhooks carried stay");

  // A purged delivery can no longer be replayed; a kept one still can.
  for (const e of [smallOld, bigOld]) {
    const replay = await call(ponte, "POST", `/v1/webhook-events/${e.id}/replay`, { key: setup.key });
    assert.equal(replay.status, 409, replay.text);
  }
  for (const e of [smallYoung, bigYoung]) {
    assert.equal((await call(ponte, "POST", `/v1/webhook-events/${e.id}/replay`, { key: setup.key })).status, 200);
  }
});

test("running it again changes nothing", async () => {
  const before = await events();
  await runRetention();
  assert.deepEqual(await events(), before);
});

test("a backlog larger than one run's bound is cleared over several runs", async () => {
  // More than one run takes (8 batches of 500), fewer than two do.
  const planted = 6000;
  const oldKeys = () => withDb((db) => db.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE key LIKE 'backlog-%'").get().n);
  withDb((db) => {
    const insert = db.prepare("INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, created_at) VALUES (?, ?, 'h', 'msg_x', ?)");
    db.exec("BEGIN");
    for (let i = 0; i < planted; i++) insert.run(setup.tenant.id, `backlog-${i}`, Date.now() - 3 * DAY - i);
    db.exec("COMMIT");
  });
  await runRetention();
  const afterOne = oldKeys();
  assert.ok(afterOne > 0 && afterOne < planted, `one run deletes a bounded part (${planted - afterOne} of ${planted})`);
  await runRetention();
  assert.equal(oldKeys(), 0);
  assert.deepEqual(withDb((db) => db.prepare("SELECT key FROM idempotency_keys WHERE tenant_id = ?").all(setup.tenant.id).map((r) => r.key)), ["key-young"]);
});
