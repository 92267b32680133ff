// WhatsApp Cloud API inbound, end to end on the real runtime: signatures, handshake, every message
// type, exactly-once storage, statuses in every order, malformed input and storage failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import {
  FIXTURES, allMessages, call, conversations, d1File, messagesOf, postWebhook, startPonte, tenantWithChannel,
} from "./harness.mjs";
import { envelope } from "../../tools/meta-payloads.mjs";

const fixture = (name) => readFileSync(`${FIXTURES}/meta/${name}.json`, "utf8");
let ponte;
before(async () => (ponte = await startPonte()));
after(() => ponte?.stop());

describe("signature", () => {
  test("a correctly signed webhook is stored and answered 200", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("text"));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { received: true, messages: 1, statuses: 0, ignored: 0 });
    assert.equal((await allMessages(ponte, key)).length, 1);
  });

  test("a wrong signature is 401 and stores nothing", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("text"), { signature: `sha256=${"0".repeat(64)}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.match(res.json.detail, /does not match/);
    assert.equal((await allMessages(ponte, key)).length, 0);
  });

  test("a signature made with another app secret is 401", async () => {
    const { channel } = await tenantWithChannel(ponte);
    const forged = { ...channel, appSecret: "not-the-app-secret" };
    assert.equal((await postWebhook(ponte, forged, fixture("text"))).status, 401);
  });

  test("a missing signature is 401 and says so", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("text"), { signature: null });
    assert.equal(res.status, 401);
    assert.match(res.json.detail, /missing/);
    assert.equal((await allMessages(ponte, key)).length, 0);
  });

  test("the signature covers the raw bytes: a re-serialized body does not verify", async () => {
    const { channel } = await tenantWithChannel(ponte);
    const raw = fixture("text"); // pretty-printed, with non-ASCII
    const sig = (await import("./harness.mjs")).signMeta(channel.appSecret, raw);
    const res = await postWebhook(ponte, channel, JSON.stringify(JSON.parse(raw)), { signature: sig });
    assert.equal(res.status, 401);
  });
});

describe("handshake", () => {
  test("the right verify token gets the raw challenge back", async () => {
    const { channel } = await tenantWithChannel(ponte);
    const res = await call(ponte, "GET", `${channel.path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me`);
    assert.equal(res.status, 200);
    assert.equal(res.text, "1158201444");
  });

  test("a wrong token, a wrong mode or missing parameters are 403", async () => {
    const { channel } = await tenantWithChannel(ponte);
    for (const q of ["hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope",
                     "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me", "", "hub.mode=subscribe"]) {
      assert.equal((await call(ponte, "GET", `${channel.path}?${q}`)).status, 403, q);
    }
  });
});

describe("unknown channel and bad input", () => {
  test("an unknown channel token is 404 for POST and GET", async () => {
    const res = await call(ponte, "POST", "/webhooks/meta/not-a-channel-token", { body: fixture("text") });
    assert.equal(res.status, 404);
    assert.match(res.json.detail, /no meta channel/);
    assert.equal((await call(ponte, "GET", "/webhooks/meta/not-a-channel-token?hub.mode=subscribe")).status, 404);
  });

  test("an unknown provider is 404 naming the known ones, and a channel's token works only at its provider's URL", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const unknown = await call(ponte, "POST", channel.path.replace("/meta/", "/carrier-pigeon/"), { body: fixture("text") });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.detail, /no provider "carrier-pigeon".*meta, evolution, zapi, wppconnect/);
    const elsewhere = await call(ponte, "POST", channel.path.replace("/meta/", "/evolution/"), { body: fixture("text") });
    assert.equal(elsewhere.status, 404);
    assert.match(elsewhere.json.detail, /no evolution channel/);
    assert.equal((await allMessages(ponte, key)).length, 0);
  });

  test("a signed body that is not JSON is 200 (Meta would retry anything else for days), kept as unprocessable, and loses nothing stored", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    assert.equal((await postWebhook(ponte, channel, fixture("text"))).status, 200);
    const res = await postWebhook(ponte, channel, "{this is not json");
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.unprocessable, /not valid JSON/);
    assert.equal((await allMessages(ponte, key)).length, 1);
    const events = (await call(ponte, "GET", "/v1/webhook-events", { key })).json.data;
    assert.equal(events[0].id, res.json.event_id);
    assert.equal(events[0].outcome, "unprocessable");
    assert.equal(events[0].http_status, 200);
    assert.equal(events[0].signature_ok, true);
    assert.match(events[0].error, /not valid JSON/);
  });

  test("signed JSON that is not a Meta webhook is 200 and unprocessable", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("not_meta_shape"));
    assert.equal(res.status, 200);
    assert.match(res.json.unprocessable, /not a WhatsApp Cloud API webhook/);
    const [event] = (await call(ponte, "GET", "/v1/webhook-events", { key })).json.data;
    assert.equal(event.outcome, "unprocessable");
  });

  test("other methods are 405", async () => {
    const { channel } = await tenantWithChannel(ponte);
    const res = await call(ponte, "PUT", channel.path, { body: "{}" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, POST");
  });
});

describe("message types", () => {
  const cases = {
    text: (m) => assert.equal(m.content.body, "Oi, tudo bem? Quero saber do pedido 123 🙂"),
    image: (m) => assert.deepEqual([m.content.id, m.content.caption, m.text], ["1480000000000001", "Foto do produto", "Foto do produto"]),
    audio_voice: (m) => assert.equal(m.content.voice, true),
    audio_file: (m) => assert.equal(m.content.voice, false),
    video: (m) => assert.equal(m.content.caption, "unboxing"),
    document: (m) => assert.equal(m.content.filename, "nf-123.pdf"),
    sticker: (m) => assert.equal(m.content.animated, false),
    location: (m) => assert.deepEqual([m.content.latitude, m.content.name], [-23.561414, "MASP"]),
    contacts: (m) => assert.equal(m.content.contacts[0].name.formatted_name, "Bruno Lima"),
    interactive_button_reply: (m) => assert.deepEqual(m.content.reply, { kind: "button_reply", id: "confirm-order-123", title: "Confirmar" }),
    interactive_list_reply: (m) => assert.equal(m.content.reply.description, "Terça-feira"),
    template_quick_reply: (m) => assert.deepEqual([m.content.payload, m.content.text], ["STOP_PROMOS", "Parar promoções"]),
    reaction: (m) => assert.equal(m.content.emoji, "❤️"),
    reaction_removed: (m) => assert.equal(m.content.emoji, undefined),
    unsupported: (m) => assert.equal(m.content.errors[0].code, 131051),
    unknown_type: (m) => assert.equal(m.content.original_type, "hologram"),
    reply_with_context: (m) => assert.equal(m.context.message_id, "wamid.OUTBOUND_MENU"),
  };
  const types = { audio_voice: "audio", audio_file: "audio", interactive_button_reply: "interactive",
    interactive_list_reply: "interactive", template_quick_reply: "button", reaction_removed: "reaction",
    unknown_type: "unsupported", reply_with_context: "text" };

  for (const [name, check] of Object.entries(cases)) {
    test(`${name} is stored with its content`, async () => {
      const { key, channel } = await tenantWithChannel(ponte);
      const res = await postWebhook(ponte, channel, fixture(name));
      assert.equal(res.status, 200, res.text);
      const [m] = await allMessages(ponte, key);
      assert.equal(m.type, types[name] ?? name);
      assert.equal(m.direction, "inbound");
      assert.equal(m.timestamp, 1717600000000);
      check(m);
    });
  }

  test("the sender's profile becomes the contact, readable by id", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, fixture("text"));
    const [c] = await conversations(ponte, key);
    assert.equal(c.contact.name, "Ana Souza");
    assert.equal(c.contact.phone, "+5511987654321");
    const contact = await call(ponte, "GET", `/v1/contacts/${c.contact.id}`, { key });
    assert.equal(contact.status, 200);
    assert.deepEqual(contact.json.identities, ["bsuid:BR.118159992128868", "phone:+5511987654321", "wa:5511987654321"]);
  });

  test("every entry, change, message and status of a batched delivery is handled", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("batched"));
    assert.deepEqual(res.json, { received: true, messages: 3, statuses: 1, ignored: 1 });
    const texts = (await allMessages(ponte, key)).map((m) => m.text).sort();
    assert.deepEqual(texts, ["primeira", "segunda", "terceira"]);
    assert.equal((await conversations(ponte, key)).length, 2);
  });

  test("events for another phone number are accepted and ignored", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const res = await postWebhook(ponte, channel, fixture("other_phone_number"));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { received: true, messages: 0, statuses: 0, ignored: 1 });
    assert.equal((await allMessages(ponte, key)).length, 0);
  });

  test("a Brazilian number with and without the ninth digit is one contact", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, fixture("brazil_without_ninth_digit"));
    await postWebhook(ponte, channel, fixture("brazil_with_ninth_digit"));
    const list = await conversations(ponte, key);
    assert.equal(list.length, 1);
    assert.equal(list[0].contact.phone, "+5531988887777");
    assert.equal((await messagesOf(ponte, key, list[0].id)).length, 2);
  });

  test("when a phone and a user id know different contacts, a message carrying both merges them into the phone's", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const text = (id, contact, from) => envelope({
      contacts: [{ profile: { name: "Ana" }, ...contact }],
      messages: [{ ...from, id, timestamp: "1717600000", type: "text", text: { body: id } }],
    });
    // Meta's business-scoped user id alone (the number hidden), then the number alone: two contacts.
    await postWebhook(ponte, channel, text("wamid.BSUID_ONLY", { user_id: "BR.777" }, { from_user_id: "BR.777" }));
    await postWebhook(ponte, channel, text("wamid.PHONE_ONLY", { wa_id: "5511987654321" }, { from: "5511987654321" }));
    const before = await conversations(ponte, key);
    assert.equal(before.length, 2);
    const userIdContact = before.find((c) => c.contact.phone === null).contact.id;
    // Both at once: the same person. The number, the most specific key, keeps its contact.
    await postWebhook(ponte, channel, text("wamid.BOTH", { wa_id: "5511987654321", user_id: "BR.777" },
      { from: "5511987654321", from_user_id: "BR.777" }));
    const after = await conversations(ponte, key);
    assert.equal(after.length, 1, "one person, one conversation on the channel");
    assert.equal(after[0].contact.phone, "+5511987654321");
    assert.deepEqual((await messagesOf(ponte, key, after[0].id)).map((m) => m.text).sort(), ["wamid.BOTH", "wamid.BSUID_ONLY", "wamid.PHONE_ONLY"]);
    const contact = await call(ponte, "GET", `/v1/contacts/${after[0].contact.id}`, { key });
    assert.ok(contact.json.identities.includes("bsuid:BR.777"), JSON.stringify(contact.json.identities));
    assert.equal((await call(ponte, "GET", `/v1/contacts/${userIdContact}`, { key })).json.id, after[0].contact.id, "the old id reads as the survivor");
  });
});

describe("exactly once", () => {
  test("the same webhook delivered three times stores one message", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    for (let i = 0; i < 3; i++) assert.equal((await postWebhook(ponte, channel, fixture("image"))).status, 200);
    assert.equal((await allMessages(ponte, key)).length, 1);
    const [c] = await conversations(ponte, key);
    assert.equal(c.unread_count, 1, "a duplicate must not count as unread again");
  });

  test("the same webhook delivered concurrently stores one message and one contact", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const results = await Promise.all(Array.from({ length: 12 }, () => postWebhook(ponte, channel, fixture("text"))));
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
    assert.equal((await allMessages(ponte, key)).length, 1);
    assert.equal((await conversations(ponte, key)).length, 1);
  });

  test("distinct messages delivered concurrently are all stored", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const body = JSON.parse(fixture("text"));
    const posts = Array.from({ length: 10 }, (_, i) => {
      const b = structuredClone(body);
      b.entry[0].changes[0].value.messages[0].id = `wamid.CONCURRENT${i}`;
      return postWebhook(ponte, channel, b);
    });
    assert.ok((await Promise.all(posts)).every((r) => r.status === 200));
    assert.equal((await allMessages(ponte, key)).length, 10);
    // Ten first messages of a new contact, racing: still one contact, one conversation.
    const list = await conversations(ponte, key);
    assert.equal(list.length, 1);
    assert.equal(list[0].unread_count, 10);
  });
});

describe("statuses", () => {
  const permutations = (xs) =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));

  // The echo stores the outbound message; the statuses may arrive before or after it.
  for (const order of permutations(["echo_text", "status_sent", "status_delivered", "status_read"])) {
    test(`arriving as ${order.join(" → ")} ends read`, async () => {
      const { key, channel } = await tenantWithChannel(ponte);
      for (const name of order) assert.equal((await postWebhook(ponte, channel, fixture(name))).status, 200);
      const [m] = await allMessages(ponte, key);
      assert.equal(m.direction, "outbound");
      assert.equal(m.status, "read");
      assert.equal(m.status_at, 1717600080000);
    });
  }

  test("failed keeps its error and is final, whatever arrives after", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    for (const name of ["status_delivered", "status_failed", "echo_text", "status_read", "status_sent"]) {
      await postWebhook(ponte, channel, fixture(name));
    }
    const [m] = await allMessages(ponte, key);
    assert.equal(m.status, "failed");
    assert.deepEqual(m.error, { code: 131047, title: "Re-engagement message" });
  });

  test("a repeated status changes nothing", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, fixture("echo_text"));
    for (let i = 0; i < 3; i++) await postWebhook(ponte, channel, fixture("status_delivered"));
    const [m] = await allMessages(ponte, key);
    assert.equal(m.status, "delivered");
  });
});

describe("event log", () => {
  test("every POST is logged with its outcome and counts", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, fixture("batched"));
    await postWebhook(ponte, channel, fixture("text"), { signature: "sha256=00" });
    const res = await call(ponte, "GET", "/v1/webhook-events", { key });
    assert.equal(res.status, 200);
    const [rejected, stored] = res.json.data;
    assert.deepEqual([rejected.outcome, rejected.http_status, rejected.signature_ok], ["rejected", 401, false]);
    assert.deepEqual([stored.outcome, stored.message_count, stored.status_count, stored.ignored_count], ["stored", 3, 1, 1]);
    assert.equal(stored.channel_id, channel.id);
  });

  test("a body too large for a row is kept in R2 and the messages are stored", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const body = JSON.parse(fixture("text"));
    body.entry[0].changes[0].value.messages[0].text.body = "x".repeat(300 * 1024);
    assert.equal((await postWebhook(ponte, channel, body)).status, 200);
    const [event] = (await call(ponte, "GET", "/v1/webhook-events", { key })).json.data;
    assert.equal(event.body_in_r2, true);
    assert.equal(event.body_r2_key, undefined, "where in R2 is Ponte's own business");
    assert.ok(event.body_bytes > 300 * 1024);
    assert.equal((await allMessages(ponte, key))[0].text.length, 300 * 1024);
  });
});

describe("statuses before their message", () => {
  test("wait under their tenant, as every row does, and apply when the message arrives", async () => {
    const { tenant, key, channel } = await tenantWithChannel(ponte);
    const status = JSON.parse(fixture("status_delivered"));
    const wamid = status.entry[0].changes[0].value.statuses[0].id;
    assert.equal((await postWebhook(ponte, channel, status)).status, 200);
    const db = new DatabaseSync(d1File(ponte.persist), { readOnly: true });
    try {
      const waiting = db.prepare("SELECT tenant_id, status FROM pending_statuses WHERE channel_id = ? AND provider_message_id = ?").all(channel.id, wamid);
      assert.deepEqual(waiting.map((r) => [r.tenant_id, r.status]), [[tenant.id, "delivered"]]);
    } finally {
      db.close();
    }
    const echo = JSON.parse(fixture("echo_text"));
    const echoed = echo.entry[0].changes[0].value.message_echoes[0];
    echoed.id = wamid;
    assert.equal((await postWebhook(ponte, channel, echo)).status, 200);
    const [message] = await allMessages(ponte, key);
    assert.equal(message.status, "delivered", "the waiting status applied");
  });
});

describe("storage failure", () => {
  test("is answered 503 so that Meta retries, and the retry stores the message once", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const db = new DatabaseSync(d1File(ponte.persist));
    db.exec("CREATE TRIGGER test_fail BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected'); END");
    let res;
    try {
      res = await postWebhook(ponte, channel, fixture("video"));
    } finally {
      db.exec("DROP TRIGGER test_fail");
      db.close();
    }
    assert.equal(res.status, 503);
    assert.doesNotMatch(res.text, /injected/, "internals must not leak");
    assert.equal((await allMessages(ponte, key)).length, 0);
    const [failed] = (await call(ponte, "GET", "/v1/webhook-events", { key })).json.data;
    assert.equal(failed.outcome, "storage_failed");
    assert.equal((await postWebhook(ponte, channel, fixture("video"))).status, 200);
    assert.equal((await allMessages(ponte, key)).length, 1);
  });
});
