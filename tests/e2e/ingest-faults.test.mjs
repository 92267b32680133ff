// The ingest path when a delivery is odd or storage is not cooperating: a signed delivery that
// cannot be read (whole or in part) is answered 200 and kept for a replay; a stored delivery is
// replayed exactly once in effect; a delivery too large for one D1 batch is split, still exactly
// once; junk tokens are remembered as unknown; an over-long body is refused by its
// Content-Length.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import {
  allMessages, call, createTenant, d1File, openSocket, postWebhook, startPonte, tenantWithChannel,
} from "./harness.mjs";
import { envelope, metaStatus, metaText } from "../../tools/meta-payloads.mjs";

// Small enough that a 20-message delivery takes several batches.
const BATCH_STATEMENTS = 6;
let ponte;
before(async () => {
  ponte = await startPonte({ vars: { D1_BATCH_MAX_STATEMENTS: BATCH_STATEMENTS } });
});
after(() => ponte?.stop());

const events = async (key) => (await call(ponte, "GET", "/v1/webhook-events", { key })).json.data;
const replay = (key, id) => call(ponte, "POST", `/v1/webhook-events/${id}/replay`, { key });

/** One delivery of `count` text messages from one contact, ids `wamid.<tag>.<n>`. */
function manyMessages(tag, count, from = "5511944440000") {
  const messages = Array.from({ length: count }, (_, i) =>
    metaText({ from, id: `wamid.${tag}.${i}`, body: `mensagem ${i}`, ts: Date.now() - 60_000 + i * 10 }).entry[0].changes[0].value.messages[0]);
  return envelope({ contacts: [{ profile: { name: "Lote" }, wa_id: from }], messages });
}

function withTrigger(sql, body) {
  const db = new DatabaseSync(d1File(ponte.persist));
  db.exec(sql);
  return Promise.resolve()
    .then(body)
    .finally(() => {
      const name = sql.match(/CREATE TRIGGER (\w+)/)[1];
      db.exec(`DROP TRIGGER ${name}`);
      db.close();
    });
}

describe("a signed delivery that cannot be read", () => {
  test("one malformed message inside a batch costs only itself; the delivery is kept as unprocessable", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const body = manyMessages("PART", 3);
    delete body.entry[0].changes[0].value.messages[1].id;
    const res = await postWebhook(ponte, channel, body);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.messages, 2);
    assert.equal(res.json.unprocessable, 1);
    const stored = (await allMessages(ponte, key)).map((m) => m.provider_message_id).sort();
    assert.deepEqual(stored, ["wamid.PART.0", "wamid.PART.2"]);
    const [event] = await events(key);
    assert.equal(event.outcome, "unprocessable");
    assert.match(event.error, /1 part\(s\) could not be read: a message: a message has no id/);
  });
});

describe("POST /v1/webhook-events/{id}/replay", () => {
  test("recovers a delivery that storage refused, and a second replay changes nothing", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await withTrigger(
      "CREATE TRIGGER test_refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected'); END",
      () => postWebhook(ponte, channel, manyMessages("REPLAY", 4)),
    );
    assert.equal(res.status, 503);
    const [failed] = await events(key);
    assert.equal(failed.outcome, "storage_failed");
    assert.equal((await allMessages(ponte, key)).length, 0);

    const socket = await openSocket(ponte, { token: key });
    const first = await replay(key, failed.id);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.id, failed.id);
    assert.equal(first.json.outcome, "stored");
    assert.equal(first.json.message_count, 4);
    assert.ok(first.json.replayed_at >= failed.received_at);
    assert.equal((await allMessages(ponte, key)).length, 4);
    await socket.next((f) => f.type === "message.created" && f.message.provider_message_id === "wamid.REPLAY.3");

    const again = await replay(key, failed.id);
    assert.equal(again.status, 200);
    assert.equal((await allMessages(ponte, key)).length, 4, "replaying twice stores nothing twice");
    assert.equal((await events(key)).length, 1, "a replay updates its event; it logs no new delivery");
    socket.close();
  });

  test("an unprocessable delivery replayed by the same adapter stays unprocessable and doubles nothing", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const body = manyMessages("STILL", 2);
    delete body.entry[0].changes[0].value.messages[0].id;
    await postWebhook(ponte, channel, body);
    const [event] = await events(key);
    const res = await replay(key, event.id);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.outcome, "unprocessable");
    assert.equal((await allMessages(ponte, key)).length, 1);
  });

  test("404 for another tenant's event and an unknown id, 403 for an agent, 409 for a refused delivery", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, metaText({ id: "wamid.MINE" }));
    await postWebhook(ponte, channel, metaText({ id: "wamid.FORGED" }), { signature: "sha256=00" });
    const [refused, stored] = await events(key);
    assert.equal(refused.outcome, "rejected");
    const other = await createTenant(ponte);
    assert.equal((await replay(other.api_key, stored.id)).status, 404);
    assert.equal((await replay(key, "whe_nothing")).status, 404);
    const agent = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "ana", role: "agent" } });
    assert.equal(agent.status, 201, agent.text);
    const asAgent = await replay(agent.json.token, stored.id);
    assert.equal(asAgent.status, 403);
    const res = await replay(key, refused.id);
    assert.equal(res.status, 409);
    assert.match(res.json.detail, /signature was verified/);
    assert.equal((await allMessages(ponte, key)).length, 1);
  });
});

describe("a delivery too large for one D1 batch", () => {
  test("is stored in several batches, exactly once, even when a batch in the middle fails", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const body = manyMessages("SPLIT", 20);
    body.entry[0].changes.push(metaStatus({ id: "wamid.OURS", status: "read" }).entry[0].changes[0]);
    const res = await withTrigger(
      `CREATE TRIGGER test_refuse_one BEFORE INSERT ON messages WHEN NEW.provider_message_id = 'wamid.SPLIT.12'
       BEGIN SELECT RAISE(ABORT, 'injected'); END`,
      () => postWebhook(ponte, channel, body),
    );
    assert.equal(res.status, 503, res.text);
    const partial = (await allMessages(ponte, key)).length;
    assert.ok(partial > 0 && partial < 20, `the batches before the failing one committed: ${partial}`);
    const [failed] = await events(key);
    assert.equal(failed.outcome, "storage_failed");

    // The provider's retry completes it; another retry changes nothing.
    for (let i = 0; i < 2; i++) {
      const retry = await postWebhook(ponte, channel, body);
      assert.equal(retry.status, 200, retry.text);
      assert.deepEqual([retry.json.messages, retry.json.statuses], [20, 1]);
    }
    const stored = await allMessages(ponte, key);
    assert.equal(stored.length, 20);
    assert.equal(new Set(stored.map((m) => m.provider_message_id)).size, 20);
    const conversations = (await call(ponte, "GET", "/v1/conversations", { key })).json.data;
    assert.equal(conversations.length, 1, "one contact, one conversation");
    assert.equal(conversations[0].unread_count, 20);
  });
});

describe("webhook URLs", () => {
  test("an unknown token is remembered as unknown: its repeat reads no storage", async () => {
    await tenantWithChannel(ponte);
    const junk = (token) => call(ponte, "POST", `/webhooks/meta/${token}`, { body: "{}" });
    assert.equal((await junk("junk-token-seen-before")).status, 404);
    const db = new DatabaseSync(d1File(ponte.persist));
    // Storage that cannot find channels at all: only a token remembered as unknown still answers.
    db.exec("ALTER TABLE channels RENAME TO channels_hidden");
    try {
      assert.equal((await junk("junk-token-seen-before")).status, 404, "answered from memory");
      assert.equal((await junk("junk-token-never-seen")).status, 503, "this one had to ask storage");
    } finally {
      db.exec("ALTER TABLE channels_hidden RENAME TO channels");
      db.close();
    }
  });

  test("a body over the limit is refused by its Content-Length", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const huge = Buffer.alloc(8 * 1024 * 1024 + 1, 0x20);
    const res = await fetch(`${ponte.base}${channel.path}`, { method: "POST", body: huge, headers: { "content-type": "application/json" } });
    assert.equal(res.status, 413);
    const problem = await res.json();
    assert.match(problem.detail, /^Content-Length 8388609 is over the limit/);
    const [event] = await events(key);
    assert.deepEqual([event.outcome, event.http_status, event.body_bytes], ["rejected", 413, 8388609]);
  });
});
