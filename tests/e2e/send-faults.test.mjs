// The send path when storage or the invocation fails at the wrong moment: a provider's acceptance
// is recorded even through a storage hiccup, a send whose outcome is unknown is never sent again
// blindly, and the scheduled re-drive (the router's cron, run through wrangler's /__scheduled)
// settles every message an attempt left behind.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import {
  call, createMetaChannel, createTenant, d1File, eventually, openSocket, postWebhook, startPonte,
} from "./harness.mjs";
import { answers, startGraph } from "../../tools/graph-emulator.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";

// The lease an attempt holds is SEND_TIMEOUT_MS + 15 s: the old error path re-sent after it.
const TIMEOUT_MS = 1500;
const LEASE_MS = TIMEOUT_MS + 15_000;
let ponte;
let graph;
let phoneIds = 0;
before(async () => {
  graph = await startGraph();
  ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: 4, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: TIMEOUT_MS } });
});
after(async () => {
  ponte?.stop();
  await graph?.stop();
});

async function setup(from) {
  const tenant = await createTenant(ponte);
  const phoneNumberId = `3004005000${String(++phoneIds).padStart(5, "0")}`;
  const accessToken = `EAAG-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl });
  const res = await postWebhook(ponte, channel, metaText({ from, id: `wamid.IN${phoneNumberId}`, ts: Date.now() - 60_000, phoneNumberId }));
  assert.equal(res.status, 200, res.text);
  const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: tenant.api_key })).json.data;
  return { key: tenant.api_key, conversation, from };
}

const send = (s, body) =>
  call(ponte, "POST", "/v1/messages", { key: s.key, body: { conversation_id: s.conversation.id, type: "text", text: { body } } });
const message = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;
const runCron = async () => {
  const res = await fetch(`${ponte.base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  assert.equal(res.status, 200, await res.text());
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `body` with a D1 trigger that refuses every write of a provider's message id. */
async function whileRecordingFails(body) {
  const db = new DatabaseSync(d1File(ponte.persist));
  db.exec(`CREATE TRIGGER test_record_fails BEFORE UPDATE OF provider_message_id ON messages
           WHEN NEW.provider_message_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'injected'); END`);
  try {
    return await body();
  } finally {
    db.exec("DROP TRIGGER test_record_fails");
    db.close();
  }
}

describe("a provider's acceptance that storage refuses to record", () => {
  test("on the first attempt: recorded once storage is back, and never sent again", async () => {
    const s = await setup("5511955500001");
    const socket = await openSocket(ponte, { token: s.key });
    const started = Date.now();
    const res = await whileRecordingFails(async () => {
      const res = await send(s, "Aceito, mas não gravado");
      await sleep(1500);
      return res;
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.status, "queued");
    assert.doesNotMatch(res.text, /injected/);
    const sent = await socket.next((f) => f.type === "message.updated" && f.message.id === res.json.id && f.message.status === "sent", 40_000);
    assert.match(sent.message.provider_message_id, /^wamid\./);
    // Past the first attempt's lease, where the old error path sent it a second time.
    await sleep(Math.max(0, started + LEASE_MS + 3000 - Date.now()));
    await runCron();
    assert.equal(graph.callsTo(s.from).length, 1, "the contact got it once");
    assert.equal((await message(s, res.json.id)).status, "sent");
    socket.close();
  });

  test("on a retry from the queue: recorded, not left queued forever", async () => {
    const s = await setup("5511955500002");
    graph.script(s.from, answers.serverError());
    const res = await whileRecordingFails(async () => {
      const res = await send(s, "Segunda tentativa aceita");
      assert.equal(res.status, 202, res.text);
      // The retry comes after its backoff and is accepted, and its recording is refused.
      await eventually(() => assert.equal(graph.callsTo(s.from).length, 2), 20_000);
      await sleep(1500);
      return res;
    });
    await eventually(async () => assert.equal((await message(s, res.json.id)).status, "sent"), 40_000);
    await runCron();
    assert.equal(graph.callsTo(s.from).length, 2, "one refused call and one accepted, nothing more");
  });

  test("a retry's job still sends when freeing the message for it fails", async () => {
    const s = await setup("5511955500003");
    graph.script(s.from, answers.serverError());
    const db = new DatabaseSync(d1File(ponte.persist));
    db.exec(`CREATE TRIGGER test_free_fails BEFORE UPDATE OF send_retry_at ON messages
             BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    let res;
    try {
      res = await send(s, "Liberação recusada");
      assert.equal(res.status, 202, res.text);
      // The job takes over the failed attempt's lease: it does not wait for the lease to expire.
      await eventually(async () => assert.equal((await message(s, res.json.id)).status, "sent"), 10_000);
    } finally {
      db.exec("DROP TRIGGER test_free_fails");
      db.close();
    }
    assert.equal(graph.callsTo(s.from).length, 2);
  });
});

describe("a send whose outcome is unknown", () => {
  test("a provider that does not answer in time: 504, `unknown`, and never sent again", async () => {
    const s = await setup("5511955500004");
    graph.script(s.from, answers.slow(TIMEOUT_MS * 2));
    const res = await send(s, "Sem resposta");
    assert.equal(res.status, 504, res.text);
    assert.equal(res.json.message.status, "unknown");
    assert.match(res.json.message.error.title, /outcome unknown: the provider did not answer in time/);
    await sleep(4000);
    await runCron();
    assert.equal(graph.callsTo(s.from).length, 1, "the slow provider got it once, and once only");
    assert.equal((await message(s, res.json.message.id)).status, "unknown");
  });
});

describe("the scheduled re-drive", () => {
  /** A copy of a sent message, left as a dead invocation or a lost queue job would leave it. */
  function leftBehind(db, sentId, { claimedUntil = null, retryAt = null }) {
    const id = `msg_left_${Math.random().toString(36).slice(2)}`;
    db.exec("CREATE TEMP TABLE IF NOT EXISTS copy AS SELECT * FROM messages WHERE 0");
    db.prepare("DELETE FROM temp.copy").run();
    db.prepare("INSERT INTO temp.copy SELECT * FROM messages WHERE id = ?").run(sentId);
    db.prepare(`UPDATE temp.copy SET seq = NULL, id = ?, provider_message_id = NULL, status = 'queued', status_rank = 0,
                send_attempts = 1, send_claimed_until = ?, send_retry_at = ?`).run(id, claimedUntil, retryAt);
    db.exec("INSERT INTO messages SELECT * FROM temp.copy");
    return id;
  }

  test("marks an attempt that died holding its lease `unknown`, and queues a retry whose job was lost", async () => {
    const s = await setup("5511955500005");
    const first = await send(s, "Modelo");
    assert.equal(first.status, 201, first.text);
    const db = new DatabaseSync(d1File(ponte.persist));
    let died;
    let lost;
    let fresh;
    try {
      died = leftBehind(db, first.json.id, { claimedUntil: Date.now() - 1000 });
      lost = leftBehind(db, first.json.id, { retryAt: Date.now() - 120_000 });
      // An attempt still within its lease, and a retry not yet due: both left alone.
      fresh = leftBehind(db, first.json.id, { claimedUntil: Date.now() + 600_000 });
    } finally {
      db.close();
    }
    const socket = await openSocket(ponte, { token: s.key });
    await runCron();
    const unknown = await socket.next((f) => f.type === "message.updated" && f.message.id === died);
    assert.equal(unknown.message.status, "unknown");
    assert.match(unknown.message.error.title, /interrupted/);
    await eventually(async () => assert.equal((await message(s, lost)).status, "sent"), 15_000);
    assert.equal(graph.callsTo(s.from).length, 2, "the model, and the lost retry; not the dead attempt");
    assert.equal((await message(s, fresh)).status, "queued");
    // Run again: nothing changes, nothing is sent.
    await runCron();
    await sleep(1000);
    assert.equal(graph.callsTo(s.from).length, 2);
    assert.equal((await message(s, died)).status, "unknown");
    socket.close();
  });

  test("a schedule that runs nothing is refused", async () => {
    const res = await fetch(`${ponte.base}/__scheduled?cron=${encodeURIComponent("5 4 * * 7")}`);
    assert.equal(res.status, 500, "the trigger fails loudly in the runtime's log");
  });
});
