// Realtime end to end on the real runtime: inbox WebSockets held by the tenant's Durable Object
// receive every change the webhook path stores, once, in order, numbered, and only their tenant's.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import {
  call, d1File, messagesOf, conversations, openSocket, postWebhook, rawUpgrade, startPonte, tenantWithChannel,
} from "./harness.mjs";
import { PHONE_NUMBER_ID, envelope, metaStatus, metaText } from "../../tools/meta-payloads.mjs";

let ponte;
before(async () => (ponte = await startPonte()));
after(() => ponte?.stop());

const ofType = (type) => (f) => f.type === type;

async function posted(channel, body) {
  const res = await postWebhook(ponte, channel, body);
  assert.equal(res.status, 200, res.text);
  return res;
}

describe("events from webhooks", () => {
  test("an inbound message pushes one message.created carrying its conversation, numbered from 1", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    assert.equal(socket.ready.seq, 0);
    await posted(channel, metaText({ from: "5511987654321", name: "Maria", id: "wamid.RT1", body: "Olá!" }));

    const created = await socket.next(ofType("message.created"));
    assert.equal(created.seq, 1);
    assert.equal(created.message.provider_message_id, "wamid.RT1");
    assert.equal(created.message.text, "Olá!");
    assert.equal(created.message.direction, "inbound");
    assert.equal(created.conversation_id, created.message.conversation_id);

    const { conversation } = created;
    assert.equal(conversation.id, created.conversation_id);
    assert.equal(conversation.unread_count, 1);
    assert.equal(conversation.last_message.id, created.message.id);
    assert.equal(conversation.contact.name, "Maria");
    // The event carries what the read API returns, so a client needs no second request.
    const [listed] = await conversations(ponte, key);
    assert.deepEqual(conversation, listed);

    await posted(channel, metaText({ from: "5511987654321", name: "Maria", id: "wamid.RT2", body: "Tudo bem?" }));
    const second = await socket.next(ofType("message.created"));
    assert.equal(second.seq, 2);
    assert.equal(second.conversation.unread_count, 2);
    assert.equal(second.conversation.last_message.id, second.message.id);
    assert.deepEqual(socket.events().map((e) => e.type), ["message.created", "message.created"], "one frame per message");
    socket.close();
  });

  test("renaming a contact tells inboxes (each of its conversations, as it now is), and the provider's profile name no longer overwrites it", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await posted(channel, metaText({ from: "5511987650077", name: "Maria", body: "Oi" }));
    const [before] = await conversations(ponte, key);
    const socket = await openSocket(ponte, { token: key });
    const res = await call(ponte, "PATCH", `/v1/contacts/${before.contact.id}`, { key, body: { name: "Maria Souza (VIP)" } });
    assert.equal(res.status, 200, res.text);
    const updated = await socket.next(ofType("conversation.updated"));
    assert.equal(updated.conversation.id, before.id);
    assert.equal(updated.conversation.contact.name, "Maria Souza (VIP)");
    assert.deepEqual(updated.conversation, (await conversations(ponte, key))[0]);
    // A change the conversation does not show publishes nothing.
    await call(ponte, "PATCH", `/v1/contacts/${before.contact.id}`, { key, body: { attributes: { vip: true } } });
    await posted(channel, metaText({ from: "5511987650077", name: "Maria", body: "Oi de novo" }));
    const created = await socket.next(ofType("message.created"));
    assert.equal(created.conversation.contact.name, "Maria Souza (VIP)", "the business's name stays");
    assert.deepEqual(socket.events().map((e) => e.type), ["conversation.updated", "message.created"]);
    // Cleared, the name is the provider's again.
    await call(ponte, "PATCH", `/v1/contacts/${before.contact.id}`, { key, body: { name: null } });
    await posted(channel, metaText({ from: "5511987650077", name: "Maria", body: "Oi outra vez" }));
    assert.equal((await conversations(ponte, key))[0].contact.name, "Maria");
    socket.close();
  });

  test("a redelivered webhook publishes nothing", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    const body = metaText({ id: "wamid.DUP" });
    await posted(channel, body);
    await posted(channel, body);
    await posted(channel, metaText({ id: "wamid.AFTER" }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.AFTER");
    const created = socket.events().filter(ofType("message.created"));
    assert.deepEqual(created.map((e) => e.message.provider_message_id), ["wamid.DUP", "wamid.AFTER"]);
    assert.deepEqual(socket.events().map((e) => e.seq), [1, 2], "no gaps, no repeats");
    socket.close();
  });

  test("statuses arrive as message.updated, in order, once each", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    // An echo is an outbound message the business sent from its phone: statuses follow it.
    await posted(channel, envelope({
      message_echoes: [{ from: "15550783881", to: "5511987654321", id: "wamid.OUT1",
        timestamp: String(Math.floor(Date.now() / 1000)), type: "text", text: { body: "Seu pedido saiu" } }],
    }, PHONE_NUMBER_ID, "smb_message_echoes"));
    const socket = await openSocket(ponte, { token: key });
    for (const status of ["sent", "delivered", "delivered", "read", "sent"]) {
      await posted(channel, metaStatus({ id: "wamid.OUT1", status }));
    }
    await posted(channel, metaText({ id: "wamid.MARK" }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.MARK");
    const updates = socket.events().filter(ofType("message.updated"));
    // The echo was stored as sent, so only delivered and read move it; repeats and the late
    // `sent` move nothing and publish nothing.
    assert.deepEqual(updates.map((e) => e.message.status), ["delivered", "read"]);
    assert.ok(updates.every((e) => e.message.provider_message_id === "wamid.OUT1"));
    socket.close();
  });

  test("a socket of another tenant receives nothing", async () => {
    const a = await tenantWithChannel(ponte);
    const b = await tenantWithChannel(ponte);
    const socketB = await openSocket(ponte, { token: b.key });
    const socketA = await openSocket(ponte, { token: a.key });
    for (let i = 0; i < 5; i++) await posted(a.channel, metaText({ id: `wamid.A${i}` }));
    await socketA.next((f) => f.message?.provider_message_id === "wamid.A4");
    await posted(b.channel, metaText({ id: "wamid.B0" }));
    const first = await socketB.next((f) => f.type === "message.created");
    assert.equal(first.message.provider_message_id, "wamid.B0");
    assert.equal(first.seq, 1, "tenant B's numbering is its own");
    assert.ok(socketB.events().every((e) => !e.message || e.message.provider_message_id.startsWith("wamid.B")));
    socketA.close();
    socketB.close();
  });

  test("every socket of a tenant sees the same numbered stream", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const one = await openSocket(ponte, { token: key });
    const two = await openSocket(ponte, { token: key });
    for (let i = 0; i < 3; i++) await posted(channel, metaText({ from: `55119876543${i}0`, id: `wamid.S${i}` }));
    for (const s of [one, two]) await s.next((f) => f.type === "message.created" && f.seq === 3);
    const seqs = (s) => s.events().map((e) => `${e.seq}:${e.type}`);
    assert.deepEqual(seqs(one), seqs(two));
    assert.equal(one.events().length, 3);
    // A client that reconnects learns where the stream stands.
    const late = await openSocket(ponte, { token: key });
    assert.equal(late.ready.seq, 3);
    for (const s of [one, two, late]) s.close();
  });
});

describe("narrowing a socket", () => {
  test("?conversation_id= and a subscribe command choose the conversations a socket follows", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await posted(channel, metaText({ from: "5511900000001", id: "wamid.N1" }));
    await posted(channel, metaText({ from: "5511900000002", id: "wamid.N2" }));
    const byPhone = Object.fromEntries((await conversations(ponte, key)).map((c) => [c.contact.phone, c.id]));
    const first = byPhone["+5511900000001"];
    const second = byPhone["+5511900000002"];

    const narrow = await openSocket(ponte, { token: key, query: `?conversation_id=${first}` });
    assert.deepEqual(narrow.ready.conversation_ids, [first]);
    await posted(channel, metaText({ from: "5511900000002", id: "wamid.N3" }));
    await posted(channel, metaText({ from: "5511900000001", id: "wamid.N4" }));
    const got = await narrow.next(ofType("message.created"));
    assert.equal(got.message.provider_message_id, "wamid.N4", "the other conversation's message was skipped");

    narrow.send({ type: "subscribe", conversation_ids: [second] });
    const subscribed = await narrow.next(ofType("subscribed"));
    assert.deepEqual(subscribed.conversation_ids, [second]);
    await posted(channel, metaText({ from: "5511900000001", id: "wamid.N5" }));
    await posted(channel, metaText({ from: "5511900000002", id: "wamid.N6" }));
    const next = await narrow.next(ofType("message.created"));
    assert.equal(next.message.provider_message_id, "wamid.N6");

    narrow.send({ type: "subscribe", conversation_ids: null });
    assert.equal((await narrow.next(ofType("subscribed"))).conversation_ids, null);
    await posted(channel, metaText({ from: "5511900000001", id: "wamid.N7" }));
    assert.equal((await narrow.next(ofType("message.created"))).message.provider_message_id, "wamid.N7");
    narrow.close();
  });

  test("a command the hub does not understand gets an error frame, and the socket stays open", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    socket.send({ type: "dance" });
    assert.match((await socket.next(ofType("error"))).detail, /subscribe/);
    socket.send("not json");
    await socket.next(ofType("error"));
    await posted(channel, metaText({ id: "wamid.STILL" }));
    await socket.next(ofType("message.created"));
    socket.close();
  });

  test("ping is answered with pong", async () => {
    const { key } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    socket.send("ping");
    assert.equal((await socket.next((f) => f.type === "text")).data, "pong");
    socket.close();
  });
});

describe("connecting", () => {
  test("a browser's token travels as a subprotocol and the hub answers with `ponte`", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const minted = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent-1" } });
    assert.equal(minted.status, 201, minted.text);
    const socket = await openSocket(ponte, { protocols: ["ponte", `bearer.${minted.json.token}`] });
    assert.equal(socket.ws.protocol, "ponte");
    await posted(channel, metaText({ id: "wamid.JWT" }));
    assert.equal((await socket.next(ofType("message.created"))).message.provider_message_id, "wamid.JWT");
    socket.close();
  });

  test("a socket opened with a token is closed when the token expires (4001); one opened with the key stays", async () => {
    const { key } = await tenantWithChannel(ponte);
    const minted = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent-short", ttl_seconds: 60 } });
    const short = await openSocket(ponte, { token: minted.json.token });
    const keyed = await openSocket(ponte, { token: key });
    const closed = await new Promise((resolve, reject) => {
      short.ws.addEventListener("close", resolve, { once: true });
      setTimeout(() => reject(new Error("the socket was not closed 80 s after its token was minted")), 80_000);
    });
    const lived = Date.now() - (minted.json.expires_at - 60_000);
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /expired/);
    // Not before the token expires; the local runtime fires alarms up to some seconds late.
    assert.ok(lived >= 59_000 && lived < 80_000, `closed ${lived} ms after minting`);
    assert.equal(keyed.ws.readyState, WebSocket.OPEN, "an API key does not expire");
    keyed.close();
  });

  test("a token in the query works too", async () => {
    const { key } = await tenantWithChannel(ponte);
    const minted = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent-2" } });
    const socket = await openSocket(ponte, { token: minted.json.token });
    assert.equal(socket.ready.type, "ready");
    socket.close();
  });

  test("refusals: no credential 401, a bad one 401, an API key in a URL 401, not an upgrade 426, a bearer protocol alone 400", async () => {
    const { key } = await tenantWithChannel(ponte);
    const none = await rawUpgrade(ponte, "/v1/realtime");
    assert.equal(none.status, 401);
    assert.equal(none.headers["content-type"], "application/problem+json");
    assert.equal((await rawUpgrade(ponte, "/v1/realtime?access_token=ponte_sk_nope")).status, 401);
    // A valid API key is refused in a URL too, saying how to do it instead; a minted token is not.
    const keyInUrl = await rawUpgrade(ponte, `/v1/realtime?access_token=${key}`);
    assert.equal(keyInUrl.status, 401);
    assert.match(keyInUrl.json.detail, /never goes in a URL/);
    const media = await call(ponte, "GET", `/media/med_000000000000000000000000?access_token=${key}`);
    assert.equal(media.status, 401, "nor on /media");
    const minted = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent" } });
    assert.equal((await rawUpgrade(ponte, `/v1/realtime?access_token=${minted.json.token}`)).status, 101);
    assert.equal((await rawUpgrade(ponte, "/v1/realtime", { "sec-websocket-protocol": "ponte, bearer.abc.def.ghi" })).status, 401);
    const plain = await call(ponte, "GET", "/v1/realtime", { key });
    assert.equal(plain.status, 426);
    assert.match(plain.json.detail, /WebSocket/);
    const alone = await rawUpgrade(ponte, "/v1/realtime", { "sec-websocket-protocol": `bearer.${key}` });
    assert.equal(alone.status, 400);
    assert.match(alone.json.detail, /ponte/);
    const tooMany = Array.from({ length: 51 }, (_, i) => `con_${i}`).join(",");
    const asProtocol = { "sec-websocket-protocol": `ponte, bearer.${key}` };
    assert.equal((await rawUpgrade(ponte, `/v1/realtime?conversation_id=${tooMany}`, asProtocol)).status, 422);
    const ok = await rawUpgrade(ponte, "/v1/realtime", asProtocol);
    assert.equal(ok.status, 101);
  });
});

describe("publishing only where someone listens", () => {
  /** What D1 says of the tenant's hub: the flag that publishers read in their batch. */
  const presence = (tenantId) => {
    const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
    try {
      return db.prepare("SELECT listening, version FROM realtime_presence WHERE tenant_id = ?").get(tenantId) ?? null;
    } finally {
      db.close();
    }
  };

  test("webhooks of a tenant that never had a socket skip the hub; the first socket still gets every later event", async () => {
    const { tenant, key, channel } = await tenantWithChannel(ponte);
    await posted(channel, metaText({ id: "wamid.QUIET1" }));
    await posted(channel, metaText({ id: "wamid.QUIET2" }));
    assert.equal(presence(tenant.id), null);

    const socket = await openSocket(ponte, { token: key });
    // Nothing was numbered while nobody listened, and the flag was up before `ready`.
    assert.equal(socket.ready.seq, 0);
    assert.deepEqual({ ...presence(tenant.id) }, { listening: 1, version: 1 });
    await posted(channel, metaText({ id: "wamid.HEARD" }));
    const created = await socket.next(ofType("message.created"));
    assert.equal(created.message.provider_message_id, "wamid.HEARD");
    assert.equal(created.seq, 1);
    // The receiver last saw this tenant without a socket, so its batch did not read the
    // conversation back; the flag in that same batch said otherwise, and it was read after.
    assert.equal(created.conversation.id, created.conversation_id);
    assert.equal(created.conversation.last_message.id, created.message.id);
    assert.equal(created.conversation.unread_count, 3);
    // What came before `ready` is in the read API.
    const [conversation] = await conversations(ponte, key);
    const stored = (await messagesOf(ponte, key, conversation.id)).map((m) => m.provider_message_id);
    assert.deepEqual(stored.sort(), ["wamid.HEARD", "wamid.QUIET1", "wamid.QUIET2"]);
    socket.close();
  });

  test("the first webhook after a quiet tenant's socket opens publishes what it really changed, read after its batch", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const sent = Math.floor(Date.now() / 1000);
    await posted(channel, envelope({
      message_echoes: [{ from: "15550783881", to: "5511987654321", id: "wamid.QUIETOUT", timestamp: String(sent),
        type: "text", text: { body: "Seu pedido saiu" } }],
    }, PHONE_NUMBER_ID, "smb_message_echoes"));
    const old = metaText({ id: "wamid.QUIETOLD" });
    await posted(channel, old);

    const socket = await openSocket(ponte, { token: key });
    // One delivery with a message already stored, a new one, a status that moves the echo and
    // one that does not: the receiver last saw this tenant without a socket, so its batch
    // returned only ids, and the rows were read after it.
    const [oldMessage] = old.entry[0].changes[0].value.messages;
    const fresh = metaText({ id: "wamid.QUIETNEW", body: "Chegou?" }).entry[0].changes[0].value;
    const status = (s) => metaStatus({ id: "wamid.QUIETOUT", status: s }).entry[0].changes[0].value.statuses[0];
    await posted(channel, envelope({
      contacts: fresh.contacts,
      messages: [oldMessage, ...fresh.messages],
      statuses: [status("sent"), status("read")],
    }));
    await posted(channel, metaText({ id: "wamid.QUIETMARK" }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.QUIETMARK");

    const frames = socket.events().filter((f) => f.message?.provider_message_id !== "wamid.QUIETMARK");
    assert.deepEqual(frames.map((f) => [f.type, f.message.provider_message_id, f.message.status]), [
      ["message.created", "wamid.QUIETNEW", null],
      ["message.updated", "wamid.QUIETOUT", "read"],
    ]);
    const [created] = frames;
    assert.equal(created.message.text, "Chegou?");
    assert.equal(created.conversation.id, created.conversation_id);
    assert.equal(created.conversation.last_message.id, created.message.id);
    socket.close();
  });

  test("a message that arrives with its own statuses is published once, as it ends up", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    // The receiver learns that this tenant listens, so the next batch returns whole rows.
    await posted(channel, metaText({ id: "wamid.WARM" }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.WARM");

    const sent = Math.floor(Date.now() / 1000);
    const echo = envelope({
      message_echoes: [{ from: "15550783881", to: "5511987654321", id: "wamid.ECHOSTATUS", timestamp: String(sent),
        type: "text", text: { body: "Chegou hoje" } }],
    }, PHONE_NUMBER_ID, "smb_message_echoes");
    const status = (s) => metaStatus({ id: "wamid.ECHOSTATUS", status: s }).entry[0].changes[0];
    echo.entry[0].changes.push(status("delivered"), status("read"));
    await posted(channel, echo);
    await posted(channel, metaText({ id: "wamid.ECHOMARK" }));
    await socket.next((f) => f.message?.provider_message_id === "wamid.ECHOMARK");

    // Its statuses never step back on the client: no update with an earlier status follows it.
    const frames = socket.events().filter((f) => f.message?.provider_message_id === "wamid.ECHOSTATUS");
    assert.deepEqual(frames.map((f) => [f.type, f.message.status]), [["message.created", "read"]]);
    socket.close();
  });

  test("after the last socket closes, one publish lowers the flag and later webhooks skip the hub", async () => {
    const { tenant, key, channel } = await tenantWithChannel(ponte);
    const first = await openSocket(ponte, { token: key });
    await posted(channel, metaText({ id: "wamid.BEFORE" }));
    await first.next((f) => f.type === "message.created" && f.seq === 1);
    first.close();
    await first.whenClosed;

    await posted(channel, metaText({ id: "wamid.LOWERS" }));
    assert.deepEqual({ ...presence(tenant.id) }, { listening: 0, version: 2 });
    await posted(channel, metaText({ id: "wamid.SKIPS" }));

    const second = await openSocket(ponte, { token: key });
    assert.equal(second.ready.seq, 1, "nothing was numbered for no one");
    assert.deepEqual({ ...presence(tenant.id) }, { listening: 1, version: 3 });
    await posted(channel, metaText({ id: "wamid.AGAIN" }));
    const created = await second.next(ofType("message.created"));
    assert.equal(created.message.provider_message_id, "wamid.AGAIN");
    assert.equal(created.seq, 2);
    second.close();
  });

  test("a socket is refused with 503 when the flag cannot be raised, and nothing leaks", async () => {
    const { tenant, key } = await tenantWithChannel(ponte);
    const db = new DatabaseSync(d1File(ponte.persist));
    db.exec("CREATE TRIGGER test_presence_fail BEFORE INSERT ON realtime_presence BEGIN SELECT RAISE(ABORT, 'injected'); END");
    let refused;
    try {
      refused = await rawUpgrade(ponte, "/v1/realtime", { "sec-websocket-protocol": `ponte, bearer.${key}` });
    } finally {
      db.exec("DROP TRIGGER test_presence_fail");
      db.close();
    }
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["content-type"], "application/problem+json");
    assert.doesNotMatch(refused.text, /injected|realtime_presence/, "internals must not leak");
    assert.equal(presence(tenant.id), null);
    // Storage back: the next socket connects and the flag is up.
    assert.equal((await rawUpgrade(ponte, "/v1/realtime", { "sec-websocket-protocol": `ponte, bearer.${key}` })).status, 101);
    assert.equal(presence(tenant.id).listening, 1);
  });

  test("sockets opening together all get `ready` only once the flag is up", async () => {
    const { tenant, key, channel } = await tenantWithChannel(ponte);
    const sockets = await Promise.all(Array.from({ length: 5 }, () => openSocket(ponte, { token: key })));
    assert.equal(presence(tenant.id).listening, 1);
    await posted(channel, metaText({ id: "wamid.ALL" }));
    for (const socket of sockets) {
      assert.equal((await socket.next(ofType("message.created"))).message.provider_message_id, "wamid.ALL");
      socket.close();
    }
  });
});

describe("latency", () => {
  test("webhook POST to WebSocket event, sequentially over 300 messages", async (t) => {
    const { key, channel } = await tenantWithChannel(ponte);
    const socket = await openSocket(ponte, { token: key });
    const samples = [];
    for (let i = 0; i < 300; i++) {
      const id = `wamid.LAT${i}`;
      const body = JSON.stringify(metaText({ from: `5511955${String(i % 50).padStart(6, "0")}`, id }));
      const started = performance.now();
      const waiting = socket.next((f) => f.type === "message.created" && f.message.provider_message_id === id, 10_000);
      await posted(channel, body);
      const frame = await waiting;
      samples.push(frame.receivedAt - started);
    }
    samples.sort((a, b) => a - b);
    const pct = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(1);
    t.diagnostic(`webhook→WebSocket over ${samples.length}: median ${pct(0.5)} ms, p99 ${pct(0.99)} ms, worst ${samples.at(-1).toFixed(1)} ms`);
    const created = socket.events().filter(ofType("message.created"));
    assert.equal(created.length, 300, "every message was pushed");
    assert.equal(new Set(created.map((e) => e.message.id)).size, 300, "each exactly once");
    socket.close();
  });
});
