// Tenant isolation (issue 15): tenant B, with each of its credentials (its API key, an admin JWT
// and an agent JWT), calls every endpoint the Workers serve against tenant A's ids, and never
// learns anything about A: another tenant's id answers exactly like an id that never existed
// (404, or 403 where B's principal is not admin, or 422 naming the field for an id in a body),
// lists show B's own data only, no answer holds a byte of A's data, and nothing B does changes
// A's data or reaches A's providers. The route list is read from the Rust routers
// (isolation-routes.mjs), so a route added without a matrix entry fails the first test.
//
// Matrix size: 29 endpoints × 3 credentials = 87 cells, 411 requests. The endpoints: the router's
// /healthz and /v1/openapi.json (GET, HEAD); send-message's 22 /v1 routes, the /v1/realtime
// WebSocket among them, and its /internal/scheduled; GET /media/{id}; GET and POST /webhooks/….
// Each request naming one of A's ids is paired with one naming a never-issued id. Then: 5 sockets
// of B while A's activity publishes each kind of event; 16 tampered /media links; 18 sends from
// B's own conversation naming A's messages and files (each paired with a never-issued id) and one
// reusing A's Idempotency-Key; 4 webhooks of B's naming A's number, contacts and message ids; a
// status B plants for A's next message.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startEvolution } from "../../tools/evolution-emulator.mjs";
import { startGraph } from "../../tools/graph-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { envelope, metaStatus, metaText } from "../../tools/meta-payloads.mjs";
import { call, openSocket, startPonte } from "./harness.mjs";
import { SEND_MAX_ATTEMPTS, leaksIn, messageEventually, postMeta, secretsOf, seedTenantA, seedTenantB, snapshot } from "./isolation-fixture.mjs";
import { CREDENTIALS, MATRIX, asB, bind, jsonOf, leaks, runMatrix, twin } from "./isolation-matrix.mjs";
import { servedRoutes } from "./isolation-routes.mjs";

// A frame may take a while on a busy machine; a missing one fails only after this.
const WAIT_MS = 15_000;
let ponte;
let emulators;
let a;
let b;
let secrets;

const callCounts = () => Object.fromEntries(Object.entries(emulators).map(([name, e]) => [name, e.calls.length]));

test("the matrix covers every route the Workers serve, and only those", () => {
  assert.deepEqual(Object.keys(MATRIX).sort(), servedRoutes().sort());
});

describe("tenant B against tenant A", () => {
  before(async () => {
    const [graph, host, evolution] = await Promise.all([startGraph(), startMediaHost(), startEvolution()]);
    emulators = { graph, host, evolution };
    ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500,
      MEDIA_MAX_ATTEMPTS: 2, MEDIA_RETRY_BASE_SECONDS: 1 } });
    a = await seedTenantA(ponte, emulators);
    b = await seedTenantB(ponte, emulators);
    secrets = secretsOf(a, await snapshot(ponte, a));
    bind({ ponte, emulators, a, b, secrets });
  });
  after(async () => {
    ponte?.stop();
    await Promise.all(Object.values(emulators ?? {}).map((e) => e.stop()));
  });

  test("B, with its key, an admin token and an agent token, learns nothing of A through any endpoint and changes nothing of A's", async (t) => {
    const before = await snapshot(ponte, a);
    const calls = callCounts();
    const { problems, requests } = await runMatrix();
    t.diagnostic(`${Object.keys(MATRIX).length} endpoints × ${CREDENTIALS.length} credentials, ${requests} requests`);
    // Taken before A's own re-read, which lists A's templates from the Graph API.
    const callsAfter = callCounts();
    assert.deepEqual(problems, []);
    assert.deepEqual(callsAfter, calls, "nothing B did reached a provider");
    assert.deepEqual(await snapshot(ponte, a), before, "A's data is unchanged");
  });

  test("B's sockets, with each credential and even narrowed to A's conversations, receive nothing A causes; A's socket does", async () => {
    const [aConversation] = a.conversations;
    const aSocket = await openSocket(ponte, { token: a.key });
    const bSockets = {
      key: await openSocket(ponte, { token: b.key }),
      admin: await openSocket(ponte, { token: b.credentials.admin }),
      agent: await openSocket(ponte, { token: b.credentials.agent }),
      "key, ?conversation_id= A's and B's": await openSocket(ponte, { token: b.key, query: `?conversation_id=${aConversation.id},${b.conversation.id}` }),
      "agent, subscribed to A's and B's": await openSocket(ponte, { token: b.credentials.agent }),
    };
    const aConversationIds = a.conversations.map((c) => c.id);
    const subscriber = bSockets["agent, subscribed to A's and B's"];
    subscriber.send({ type: "subscribe", conversation_ids: [...aConversationIds, b.conversation.id] });
    await subscriber.next((f) => f.type === "subscribed", WAIT_MS);

    // One of each event A's activity publishes: message.created (inbound and sent),
    // message.updated, conversation.updated, channel.updated.
    const live = { wamid: `wamid.LIVE${randomBytes(6).toString("hex")}`, text: `A live text ${randomBytes(6).toString("hex")}` };
    secrets.push(live.wamid, live.text);
    const inbound = metaText({ from: a.contacts[0].phone, name: a.contacts[0].name, id: live.wamid, body: live.text, phoneNumberId: a.meta.phoneNumberId });
    assert.equal((await postMeta(ponte, a.meta, inbound)).status, 200);
    await aSocket.next((f) => f.type === "message.created" && f.message.provider_message_id === live.wamid, WAIT_MS);
    const delivered = metaStatus({ id: a.sent.provider_message_id, status: "delivered", recipient: a.contacts[0].phone, phoneNumberId: a.meta.phoneNumberId });
    assert.equal((await postMeta(ponte, a.meta, delivered)).status, 200);
    await aSocket.next((f) => f.type === "message.updated" && f.message.id === a.sent.id, WAIT_MS);
    assert.equal((await call(ponte, "PATCH", `/v1/conversations/${aConversation.id}`, { key: a.key, body: { status: "pending" } })).status, 200);
    await aSocket.next((f) => f.type === "conversation.updated" && f.conversation?.status === "pending", WAIT_MS);
    assert.equal((await call(ponte, "POST", `/v1/channels/${a.gateway.id}/connect`, { key: a.key })).status, 200);
    await aSocket.next((f) => f.type === "channel.updated", WAIT_MS);
    const sent = await call(ponte, "POST", "/v1/messages", { key: a.key, body: { ...a.sendRequest, text: { body: live.text } } });
    assert.equal(sent.status, 201, sent.text);
    secrets.push(sent.json.id, sent.json.provider_message_id);
    await aSocket.next((f) => f.type === "message.created" && f.message.id === sent.json.id, WAIT_MS);

    // B's own message, after all of A's: once a socket has it, it would have had A's before it.
    const fence = `wamid.FENCE${randomBytes(6).toString("hex")}`;
    const bInbound = metaText({ from: b.contact.phone, name: b.contact.name, id: fence, body: "B's fence", phoneNumberId: b.meta.phoneNumberId });
    assert.equal((await postMeta(ponte, b.meta, bInbound)).status, 200);
    for (const [name, socket] of Object.entries(bSockets)) {
      await socket.next((f) => f.type === "message.created" && f.message.provider_message_id === fence, WAIT_MS);
      const foreign = socket.events().filter((e) => (e.conversation_id ?? e.conversation?.id ?? e.message?.conversation_id) !== b.conversation.id);
      assert.deepEqual(foreign.map((e) => e.type), [], `B's socket (${name}) got A's events`);
      const frames = Buffer.from(JSON.stringify(socket.frames));
      assert.deepEqual(leaksIn(frames, a, secrets, aConversationIds.join()), [], `B's socket (${name}) saw A's data`);
    }
    for (const socket of [aSocket, ...Object.values(bSockets)]) socket.close();
  });

  test("/media: B fetches none of A's files by id, by A's link tampered, or by B's own signature moved onto A's id", async () => {
    const bUpload = await asB("POST", `/v1/media?filename=${b.tag}.bin`, "key", { body: randomBytes(300), headers: { "content-type": "image/png" } });
    const linkParts = (url) => url.match(/^\/media\/(\w+)\?exp=(\d+)&kid=[0-9a-f]+&sig=([0-9a-f]+)$/).slice(1);
    const [, bExp, bSig] = linkParts(jsonOf(bUpload).url);
    const aLink = (await call(ponte, "GET", `/v1/messages/${a.image.id}`, { key: a.key })).json.media.url;
    const [aId, exp, sig] = linkParts(aLink);
    const untouched = await fetch(`${ponte.base}${aLink}`);
    assert.equal(untouched.status, 200, "A's link as issued serves the file");
    assert.notDeepEqual(leaksIn(Buffer.from(await untouched.arrayBuffer()), a, secrets), [], "the scan finds A's bytes where they are");

    const flipped = sig.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const tampered = [
      ...a.mediaIds.map((id) => [`/media/${id}?exp=${bExp}&sig=${bSig}`, {}, 403]),
      [`/media/${aId}?exp=${Number(exp) + 1}&sig=${sig}`, {}, 403],
      [`/media/${aId}?exp=${exp}&sig=${flipped}`, {}, 403],
      [`/media/${aId}?exp=${exp}&sig=${b.key}`, {}, 403],
      [`/media/${aId}?exp=${exp}&access_token=${b.key}`, {}, 401],
      ...CREDENTIALS.map((c) => [`/media/${aId}?exp=${exp}`, { authorization: `Bearer ${b.credentials[c]}` }, 404]),
      ...["admin", "agent"].map((c) => [`/media/${aId}?exp=${exp}&access_token=${b.credentials[c]}`, {}, 404]),
      ...a.mediaIds.map((id) => [`/media/${id}?access_token=${b.credentials.agent}`, {}, 404]),
      [`/media/${aId}`, { authorization: `Bearer ${b.key}`, range: "bytes=0-99" }, 404],
    ];
    const answers = [];
    for (const [path, headers, expected] of tampered) {
      const res = await fetch(`${ponte.base}${path}`, { headers });
      const leaked = leaksIn(Buffer.from(await res.arrayBuffer()), a, secrets, path);
      answers.push({ path, status: res.status, expected, leaked });
    }
    assert.deepEqual(answers.filter((x) => x.status !== x.expected || x.leaked.length), []);
  });

  test("B's sends from its own conversation name A's messages, files and idempotency key in vain, and touch nothing of A's", async () => {
    const before = await snapshot(ponte, a);
    const calls = callCounts();
    const naming = (id) => [
      [{ type: "text", text: { body: "re" }, reply_to: id(a.sent.id) }, "reply_to"],
      [{ type: "text", text: { body: "re" }, reply_to: id(a.image.id) }, "reply_to"],
      [{ type: "reaction", reaction: { message_id: id(a.image.id), emoji: "👍" } }, "reaction.message_id"],
      [{ type: "image", image: { id: id(a.upload.id) } }, "image.id"],
      [{ type: "document", document: { id: id(a.image.media.id) } }, "document.id"],
      [{ type: "audio", audio: { id: id(a.failedImage.media.id) } }, "audio.id"],
    ];
    const problems = [];
    for (const credential of CREDENTIALS) {
      const real = naming((id) => id);
      const twins = naming(twin);
      for (const [i, [body, field]] of real.entries()) {
        const res = await asB("POST", "/v1/messages", credential, { body: { conversation_id: b.conversation.id, ...body } });
        const other = await asB("POST", "/v1/messages", credential, { body: { conversation_id: b.conversation.id, ...twins[i][0] } });
        const cell = `${credential} ${JSON.stringify(body)}`;
        if (res.status !== 422 || jsonOf(res)?.field !== field) problems.push(`${cell}: ${res.status} ${res.bytes}`);
        if (other.status !== res.status || jsonOf(other)?.detail !== jsonOf(res)?.detail) problems.push(`${cell} differs from a never-issued id`);
        const leaked = leaks(res, JSON.stringify(body));
        if (leaked.length) problems.push(`${cell} leaked ${leaked}`);
      }
    }
    assert.deepEqual(problems, []);
    // A's Idempotency-Key is only a string to B: B's own send goes out, as B's.
    const own = await asB("POST", "/v1/messages", "key", { body: { conversation_id: b.conversation.id, type: "text", text: { body: "B's own order" } },
      headers: { "idempotency-key": a.idempotencyKey } });
    assert.equal(own.status, 201, own.bytes.toString());
    assert.equal(jsonOf(own).conversation_id, b.conversation.id);
    assert.deepEqual(leaks(own, a.idempotencyKey), []);
    const aCalls = emulators.graph.calls.slice(calls.graph).filter((c) => c.authorization === `Bearer ${a.meta.secrets.access_token}`);
    assert.deepEqual(aCalls, [], "nothing went out on A's channel");
    assert.deepEqual(await snapshot(ponte, a), before, "A's data is unchanged");
  });

  test("B's webhooks reach only B, even naming A's phone number id, A's contacts (with and without the ninth digit) and A's message ids", async () => {
    const before = await snapshot(ponte, a);
    const withoutNinthDigit = a.contacts[1].phone.slice(0, 4) + a.contacts[1].phone.slice(5);
    const posted = [
      metaText({ from: a.contacts[0].phone, name: "Not A's contact", body: "B's own text", phoneNumberId: a.meta.phoneNumberId }),
      metaText({ from: withoutNinthDigit, name: "Not A's either", body: "B's other text", phoneNumberId: b.meta.phoneNumberId }),
      metaStatus({ id: a.sent.provider_message_id, status: "failed", recipient: a.contacts[0].phone, phoneNumberId: b.meta.phoneNumberId,
        errors: [{ code: 131047, title: "forged by B" }] }),
      metaStatus({ id: a.image.provider_message_id, status: "read", recipient: a.contacts[0].phone, phoneNumberId: b.meta.phoneNumberId }),
    ];
    for (const body of posted) {
      const res = await postMeta(ponte, b.meta, body);
      assert.ok(res.status < 500, `${res.status} ${res.text}`);
    }
    assert.deepEqual(await snapshot(ponte, a), before, "A's data is unchanged");
    const bConversations = await asB("GET", "/v1/conversations?limit=200", "key");
    const bMessages = [];
    for (const c of jsonOf(bConversations).data) bMessages.push(await asB("GET", `/v1/conversations/${c.id}/messages?limit=200`, "key"));
    // A mobile number written without its ninth digit (local part 6-9) is stored with it, in
    // E.164: B named that number, in either form.
    const sent = JSON.stringify(posted) + a.contacts[1].phone + ` +${a.contacts[1].phone}`;
    for (const res of [bConversations, ...bMessages]) assert.deepEqual(leaks(res, sent), []);
  });

  test("a status B plants for a message A has not stored yet is not applied to A's message when it arrives", async () => {
    const wamid = `wamid.PLANTED${randomBytes(6).toString("hex")}`;
    // Under A's own channel this status would wait and apply (meta-inbound.test.mjs).
    const planted = metaStatus({ id: wamid, status: "delivered", recipient: a.contacts[0].phone, phoneNumberId: b.meta.phoneNumberId });
    assert.equal((await postMeta(ponte, b.meta, planted)).status, 200);
    // The business typed this on A's phone: an outbound message A stores as sent.
    const echo = envelope({ message_echoes: [{ from: a.meta.phoneNumberId, to: a.contacts[0].phone, id: wamid,
      timestamp: String(Math.floor(Date.now() / 1000)), type: "text", text: { body: "typed on A's phone" } }] }, a.meta.phoneNumberId, "smb_message_echoes");
    assert.equal((await postMeta(ponte, a.meta, echo)).status, 200);
    const stored = await messageEventually(ponte, a.key, wamid);
    // Give a wrongly applied status the time it would take.
    await new Promise((r) => setTimeout(r, 1000));
    const again = (await call(ponte, "GET", `/v1/messages/${stored.id}`, { key: a.key })).json;
    assert.equal(again.status, "sent", JSON.stringify(again));
  });
});
