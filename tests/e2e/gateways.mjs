// The end-to-end suite every WhatsApp Web gateway (Evolution API, Z-API, WPPConnect) passes, on
// the real Workers, with a local emulator playing the gateway's HTTP API. Each gateway's test
// file gives a driver: how to start its emulator, connect a channel to it, and write its webhooks.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { allMessages, call, createChannel, createTenant, eventually, openSocket, startPonte } from "./harness.mjs";

const MAX_ATTEMPTS = 3;

/**
 * `driver`:
 * - `name`, `start()` → emulator, `channel(emulator, { includeGroups })` → `{ config, secrets }`;
 * - webhook bodies: `inbound({ from, id, body, ts })`, `echo({ to, id, body })` (typed on the
 *   phone), `status({ id, status, to })`, `group({ id })`, `connected()`, `qr()` (null when the
 *   gateway has no QR webhook), `deleted({ id, to })` (null when not tested here);
 * - `inboundId(payload)`: the provider id of an inbound built above;
 * - `sends(emulator)`: the emulator's calls that were sends; `sendTo(call)`: its recipient;
 * - `expectSend(call, kind, expected)`: asserts the call's path, credential and body for a
 *   send of `kind` (text, reply, image, sticker, location, reaction) as the gateway documents it;
 * - `wrongCredential(payload)`: the payload with a credential that is not the channel's, or null
 *   when the gateway's webhooks carry none (the URL token is then all there is);
 * - `script(emulator, to, "transient" | "permanent")`, `permanentReason`: a regexp;
 * - `follow(emulator, webhookUrl, options)`: lets the emulator play the phone;
 * - `offerQr(emulator)`: makes the gateway's connect call answer with a QR code;
 * - `markRead`: `{ path, body({ to, inbound }) }` of the read-receipt call.
 */
/** Returns the suite's helpers (`setup`, `post`, `send`…) for a gateway's own extra tests. */
export function gatewaySuite(driver) {
  let ponte;
  let emulator;
  let numbers = 0;
  // Distinct recipients keep one test's scripted answers from reaching another's sends.
  const nextNumber = () => `55119${String(7000000 + ++numbers * 97).padStart(8, "0")}`;

  before(async () => {
    emulator = await driver.start();
    ponte = await startPonte({ vars: { SEND_MAX_ATTEMPTS: MAX_ATTEMPTS, SEND_RETRY_BASE_SECONDS: 1, SEND_TIMEOUT_MS: 1500 } });
  });
  after(async () => {
    ponte?.stop();
    await emulator?.stop();
  });

  async function setup({ includeGroups = false } = {}) {
    const tenant = await createTenant(ponte);
    const { config, secrets } = driver.channel(emulator, { includeGroups });
    const channel = await createChannel(ponte, tenant.api_key, { provider: driver.name, config, secrets });
    return { key: tenant.api_key, channel, url: `${ponte.base}${channel.path}` };
  }

  const post = (s, body, suffix = "") => call(ponte, "POST", `${s.channel.path}${suffix}`, { body });
  const send = (s, body, headers = {}) => call(ponte, "POST", "/v1/messages", { key: s.key, body, headers });
  const conversationsOf = async (s) => (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;
  const messageOf = async (s, id) => (await call(ponte, "GET", `/v1/messages/${id}`, { key: s.key })).json;

  /** A contact who has written, and their conversation. */
  async function withContact(s, from = nextNumber()) {
    const res = await post(s, driver.inbound({ from, body: "Oi" }));
    assert.equal(res.status, 200, res.text);
    const [conversation] = await conversationsOf(s);
    return { from, conversation };
  }

  describe(`${driver.name}: inbound`, () => {
    test("a webhook is stored exactly once: three deliveries and six concurrent ones give one message", async () => {
      const s = await setup();
      const from = nextNumber();
      const payload = driver.inbound({ from, body: "Quero saber do pedido 4521" });
      for (let i = 0; i < 3; i++) assert.equal((await post(s, payload)).status, 200);
      const concurrent = await Promise.all(Array.from({ length: 6 }, () => post(s, payload)));
      assert.deepEqual(concurrent.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      const messages = await allMessages(ponte, s.key);
      assert.equal(messages.length, 1);
      assert.equal(messages[0].provider_message_id, driver.inboundId(payload));
      assert.equal(messages[0].direction, "inbound");
      assert.equal(messages[0].text, "Quero saber do pedido 4521");
      const [conversation] = await conversationsOf(s);
      const contact = await call(ponte, "GET", `/v1/contacts/${conversation.contact.id}`, { key: s.key });
      assert.ok(contact.json.identities.includes(`phone:+${from}`), JSON.stringify(contact.json.identities));
      assert.ok(contact.json.identities.includes(`wa:${from}`), JSON.stringify(contact.json.identities));
    });

    test("a credential that is not the channel's is refused and logged; an unknown token is 404", async () => {
      const s = await setup();
      const payload = driver.inbound({ from: nextNumber() });
      const forged = driver.wrongCredential(payload);
      if (forged) {
        const res = await post(s, forged);
        assert.equal(res.status, 401, res.text);
        for (const secret of Object.values(driver.channel(emulator, {}).secrets)) {
          assert.ok(!res.text.includes(secret), "the channel's credential is not echoed");
        }
        const [event] = (await call(ponte, "GET", "/v1/webhook-events", { key: s.key })).json.data;
        assert.deepEqual([event.outcome, event.http_status, event.signature_ok], ["rejected", 401, false]);
      }
      const unknown = await call(ponte, "POST", `/webhooks/${driver.name}/not-a-channel-token`, { body: payload });
      assert.equal(unknown.status, 404);
      assert.equal((await allMessages(ponte, s.key)).length, 0);
    });

    test("group messages are dropped by default, and stored as the group's with their sender when enabled", async () => {
      const dropping = await setup();
      const res = await post(dropping, driver.group({}));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.messages, 0);
      assert.equal(res.json.ignored, 1);
      assert.equal((await allMessages(ponte, dropping.key)).length, 0);
      const [event] = (await call(ponte, "GET", "/v1/webhook-events", { key: dropping.key })).json.data;
      assert.equal(event.ignored_count, 1);

      const keeping = await setup({ includeGroups: true });
      assert.equal((await post(keeping, driver.group({}))).json.messages, 1);
      const [message] = await allMessages(ponte, keeping.key);
      assert.ok(message.sender?.id, `the member who wrote it: ${JSON.stringify(message)}`);
      const [conversation] = await conversationsOf(keeping);
      const contact = await call(ponte, "GET", `/v1/contacts/${conversation.contact.id}`, { key: keeping.key });
      assert.ok(contact.json.identities.some((i) => i.startsWith("group:")), JSON.stringify(contact.json.identities));
    });
  });

  describe(`${driver.name}: statuses`, () => {
    test("statuses move forward only, in any order", async () => {
      const s = await setup();
      const { from, conversation } = await withContact(s);
      const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Pedido saiu" } });
      assert.equal(res.status, 201, res.text);
      const id = res.json.provider_message_id;
      for (const status of ["read", "sent", "delivered", "read", "sent"]) {
        assert.equal((await post(s, driver.status({ id, status, to: from }))).status, 200);
      }
      assert.equal((await messageOf(s, res.json.id)).status, "read");
    });

    test("a status for a message not seen yet waits, and applies when the message arrives", async () => {
      const s = await setup();
      const to = nextNumber();
      const echo = driver.echo({ to, body: "Digitado no celular" });
      const id = driver.inboundId(echo);
      assert.equal((await post(s, driver.status({ id, status: "delivered", to }))).status, 200);
      assert.equal((await allMessages(ponte, s.key)).length, 0);
      assert.equal((await post(s, echo)).status, 200);
      const [message] = await allMessages(ponte, s.key);
      assert.deepEqual([message.direction, message.status, message.text], ["outbound", "delivered", "Digitado no celular"]);
    });
  });

  describe(`${driver.name}: sending`, () => {
    test("each kind of send reaches the gateway in its documented shape, with its credential", async () => {
      const s = await setup();
      const { from, conversation } = await withContact(s);
      const [inbound] = await allMessages(ponte, s.key);
      const cases = [
        ["text", { type: "text", text: { body: "Olá!" } }],
        ["reply", { type: "text", text: { body: "Respondendo" }, reply_to: inbound.id }],
        ["image", { type: "image", image: { link: "https://cdn.example.com/p/4521.jpg", caption: "Seu pedido" } }],
        ["sticker", { type: "sticker", sticker: { link: "https://cdn.example.com/s/obrigado.webp" } }],
        ["location", { type: "location", location: { latitude: -23.5617, longitude: -46.6559, name: "Loja", address: "Av. Paulista, 1000" } }],
        ["reaction", { type: "reaction", reaction: { message_id: inbound.id, emoji: "👍" } }],
      ];
      for (const [kind, body] of cases) {
        const before = driver.sends(emulator).length;
        const res = await send(s, { conversation_id: conversation.id, ...body });
        assert.equal(res.status, 201, `${kind}: ${res.text}`);
        assert.equal(res.json.status, "sent", kind);
        const made = driver.sends(emulator).slice(before);
        assert.equal(made.length, 1, kind);
        driver.expectSend(made[0], kind, { to: from, inbound, body });
      }
    });

    test("a template is refused with 422 naming the provider and what it lacks; nothing is sent", async () => {
      const s = await setup();
      const { conversation } = await withContact(s);
      const before = driver.sends(emulator).length;
      const res = await send(s, { conversation_id: conversation.id, type: "template", template: { name: "order_update", language: { code: "pt_BR" } } });
      assert.equal(res.status, 422, res.text);
      assert.equal(res.json.field, "type");
      assert.match(res.json.detail, new RegExp(`${driver.name} channels cannot send this.*templates`));
      assert.equal(driver.sends(emulator).length, before);
    });

    test("there is no 24-hour window: a contact who wrote days ago still gets free-form text", async () => {
      const s = await setup();
      const from = nextNumber();
      await post(s, driver.inbound({ from, ts: Date.now() - 3 * 24 * 3600_000 }));
      const [conversation] = await conversationsOf(s);
      const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Ainda aqui?" } });
      assert.equal(res.status, 201, res.text);
    });

    test("a transient failure is retried until it is sent; a permanent one fails with the gateway's reason", async () => {
      const s = await setup();
      const { from, conversation } = await withContact(s);
      driver.script(emulator, from, "transient");
      const retried = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Tentando" } });
      assert.equal(retried.status, 202, retried.text);
      assert.equal(retried.json.status, "queued");
      await eventually(async () => assert.equal((await messageOf(s, retried.json.id)).status, "sent"));

      driver.script(emulator, from, "permanent");
      const refused = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Recusado" } });
      assert.equal(refused.status, 502, refused.text);
      assert.match(refused.json.detail, driver.permanentReason);
      assert.equal(refused.json.message.status, "failed");
      assert.equal((await messageOf(s, refused.json.message.id)).status, "failed");
    });

    test("read marks the contact's messages read at the gateway and zeroes the unread count", async () => {
      const s = await setup();
      const { from } = await withContact(s);
      await post(s, driver.inbound({ from, body: "Tem alguém aí?" }));
      const [conversation] = await conversationsOf(s);
      assert.equal(conversation.unread_count, 2);
      const last = (await allMessages(ponte, s.key)).find((m) => m.text === "Tem alguém aí?");
      const res = await call(ponte, "POST", `/v1/conversations/${conversation.id}/read`, { key: s.key });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.unread_count, 0);
      const [made] = emulator.calls.filter((c) => c.path.endsWith(driver.markRead.path)).slice(-1);
      assert.ok(made, "the gateway got a read receipt");
      driver.expectCredential(made);
      assert.deepEqual(made.body, driver.markRead.body({ to: from, inbound: last }));
    });

    for (const echoFirst of [false, true]) {
      test(`the gateway's echo of our own send is not stored twice (echo ${echoFirst ? "before" : "after"} the send's answer)`, async () => {
        const s = await setup();
        const { conversation } = await withContact(s);
        driver.follow(emulator, s.url, { echo: true, echoFirst, statuses: ["sent", "delivered", "read"] });
        const socket = await openSocket(ponte, { token: s.key });
        const res = await send(s, { conversation_id: conversation.id, type: "text", text: { body: "Eco" } });
        assert.equal(res.status, 201, res.text);
        await eventually(async () => assert.equal((await messageOf(s, res.json.id)).status, "read"));
        const outbound = (await allMessages(ponte, s.key)).filter((m) => m.direction === "outbound");
        assert.deepEqual(outbound.map((m) => m.id), [res.json.id]);
        const [after] = await conversationsOf(s);
        assert.equal(after.last_message.id, res.json.id);
        socket.close();
        driver.follow(emulator, null, { echo: false, statuses: [] });
      });
    }
  });

  describe(`${driver.name}: session`, () => {
    test("the QR code and the connection state are shown and pushed as channel.updated", async () => {
      const s = await setup();
      const fresh = await call(ponte, "GET", `/v1/channels/${s.channel.id}`, { key: s.key });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.json.connection.state, "disconnected");
      assert.doesNotMatch(fresh.text, new RegExp(Object.values(driver.channel(emulator, {}).secrets).join("|")));
      const socket = await openSocket(ponte, { token: s.key, query: "?conversation_id=con_none" });

      const qr = driver.qr();
      if (qr) {
        assert.equal((await post(s, qr)).status, 200);
        const pushed = await socket.next((f) => f.type === "channel.updated");
        assert.equal(pushed.channel.id, s.channel.id);
        assert.equal(pushed.channel.connection.state, "qr_required");
        assert.match(pushed.channel.connection.qr.image, /^data:image\/png;base64,/);
        const shown = await call(ponte, "GET", `/v1/channels/${s.channel.id}`, { key: s.key });
        assert.deepEqual(shown.json.connection.qr, pushed.channel.connection.qr);
      }

      driver.offerQr(emulator);
      const connect = await call(ponte, "POST", `/v1/channels/${s.channel.id}/connect`, { key: s.key });
      assert.equal(connect.status, 200, connect.text);
      assert.equal(connect.json.connection.state, "qr_required");
      assert.match(connect.json.connection.qr.image, /^data:image\/png;base64,/);
      assert.equal((await socket.next((f) => f.type === "channel.updated" && f.channel.connection.qr?.image)).channel.id, s.channel.id);

      assert.equal((await post(s, driver.connected())).status, 200);
      const connected = await socket.next((f) => f.type === "channel.updated" && f.channel.connection.state === "connected");
      assert.equal(connected.channel.connection.qr, null);
      const listed = await call(ponte, "GET", "/v1/channels", { key: s.key });
      assert.equal(listed.json.data[0].connection.state, "connected");
      socket.close();
    });
  });

  const harness = { setup, post, send, nextNumber, ponte: () => ponte, emulator: () => emulator };

  if (driver.deleted) {
    describe(`${driver.name}: deletions`, () => {
      test("a message deleted for everyone is marked deleted, never removed", async () => {
        const s = await setup();
        const from = nextNumber();
        const payload = driver.inbound({ from, body: "Vou apagar" });
        await post(s, payload);
        const res = await post(s, driver.deleted({ id: driver.inboundId(payload), to: from }));
        assert.equal(res.status, 200, res.text);
        const [message] = await allMessages(ponte, s.key);
        assert.equal(message.text, "Vou apagar");
        assert.equal(typeof message.deleted_at, "number");
      });
    });
  }
  return harness;
}
