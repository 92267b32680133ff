// The client API end to end: operator and tenant auth, tokens, channels, the read API with its
// ordering and pagination, and tenant isolation.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startGraph } from "../../tools/graph-emulator.mjs";
import {
  FIXTURES, call, conversations, createMetaChannel, createTenant, messagesOf, postWebhook, startPonte, tenantWithChannel,
} from "./harness.mjs";

let ponte;
let graph;
before(async () => ([ponte, graph] = await Promise.all([startPonte(), startGraph()])));
after(async () => {
  ponte?.stop();
  await graph?.stop();
});

const textFrom = (waId, id, timestamp, body) => {
  const b = JSON.parse(readFileSync(`${FIXTURES}/meta/text.json`, "utf8"));
  const value = b.entry[0].changes[0].value;
  value.contacts = [{ profile: { name: `Contact ${waId}` }, wa_id: waId }];
  Object.assign(value.messages[0], { from: waId, id, timestamp: String(timestamp), text: { body } });
  return b;
};

describe("the primary Worker's routes", () => {
  test("the inbox is served from its own Worker; other paths reach their function", async () => {
    const page = await call(ponte, "GET", "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.match(page.text, /<html/);
    assert.equal((await call(ponte, "GET", "/no-such-page")).status, 404);
    assert.deepEqual((await call(ponte, "GET", "/healthz")).json, { ok: true });
    const webhook = await call(ponte, "POST", "/webhooks/meta/no-such-token", { body: {} });
    assert.equal(webhook.status, 404);
    assert.equal(webhook.headers.get("content-type"), "application/problem+json");
  });
});

describe("tenants (operator)", () => {
  test("the operator key creates a tenant and its API key is shown once", async () => {
    const res = await call(ponte, "POST", "/v1/tenants", { key: ponte.operatorKey, body: { name: "Padaria Pão Quente" } });
    assert.equal(res.status, 201);
    assert.match(res.json.api_key, /^ponte_sk_/);
    assert.equal(res.json.name, "Padaria Pão Quente");
    assert.equal((await call(ponte, "GET", "/v1/channels", { key: res.json.api_key })).status, 200);
  });

  test("no key, a wrong key or a tenant key cannot create tenants", async () => {
    const tenant = await createTenant(ponte);
    for (const key of [undefined, "wrong-operator-key", tenant.api_key]) {
      const res = await call(ponte, "POST", "/v1/tenants", { key, body: { name: "x" } });
      assert.equal(res.status, 401, String(key));
      assert.equal(res.headers.get("content-type"), "application/problem+json");
    }
  });

  test("bad bodies are told apart: not JSON 400, wrong shape 422, empty name 422", async () => {
    const post = (body) => call(ponte, "POST", "/v1/tenants", { key: ponte.operatorKey, body });
    assert.equal((await post("{nope")).status, 400);
    const shape = await post({ title: "x" });
    assert.equal(shape.status, 422);
    assert.match(shape.json.detail, /title|name/);
    const empty = await post({ name: "  " });
    assert.equal(empty.status, 422);
    assert.match(empty.json.detail, /name/);
  });
});

describe("tenant credentials", () => {
  test("an unknown API key or no credential is 401", async () => {
    assert.equal((await call(ponte, "GET", "/v1/conversations", { key: "ponte_sk_unknown" })).status, 401);
    const none = await call(ponte, "GET", "/v1/conversations");
    assert.equal(none.status, 401);
    assert.match(none.json.detail, /Authorization: Bearer/);
  });

  test("a minted JWT reads the tenant's data; agents cannot create channels, admins can", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, readFileSync(`${FIXTURES}/meta/text.json`, "utf8"));
    const agent = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent-7" } });
    assert.equal(agent.status, 201);
    assert.deepEqual([agent.json.claims.role, agent.json.claims.sub, agent.json.token_type], ["agent", "agent-7", "Bearer"]);
    assert.equal((await conversations(ponte, agent.json.token)).length, 1);
    const denied = await call(ponte, "POST", "/v1/channels", { key: agent.json.token, body: {} });
    assert.equal(denied.status, 403);
    const admin = await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "boss", role: "admin" } });
    await createMetaChannel(ponte, admin.json.token, { phoneNumberId: "555" });
  });

  test("webhook URLs (they hold the channel's token) are shown to admins only; agents see the channels without them", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    const agent = (await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "agent-8" } })).json.token;
    const admin = (await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "boss", role: "admin" } })).json.token;
    const asAgent = await call(ponte, "GET", "/v1/channels", { key: agent });
    assert.equal(asAgent.status, 200);
    assert.deepEqual(asAgent.json.data.map((c) => [c.id, c.provider, "webhook_url" in c]), [[channel.id, "meta", false]]);
    assert.doesNotMatch(asAgent.text, new RegExp(new URL(channel.webhook_url).pathname.split("/").pop()), "not the token anywhere");
    const one = await call(ponte, "GET", `/v1/channels/${channel.id}`, { key: agent });
    assert.equal(one.json.webhook_url, undefined);
    for (const credential of [admin, key]) {
      const listed = await call(ponte, "GET", "/v1/channels", { key: credential });
      assert.equal(listed.json.data[0].webhook_url, channel.webhook_url);
    }
  });

  test("a token cannot mint tokens, and a tampered token is 401", async () => {
    const { key } = await tenantWithChannel(ponte);
    const { token } = (await call(ponte, "POST", "/v1/tokens", { key, body: { sub: "a" } })).json;
    assert.equal((await call(ponte, "POST", "/v1/tokens", { key: token, body: { sub: "b" } })).status, 403);
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url"));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url")}.${s}`;
    assert.equal((await call(ponte, "GET", "/v1/conversations", { key: forged })).status, 401);
  });

  test("token requests are validated", async () => {
    const { key } = await tenantWithChannel(ponte);
    for (const body of [{ sub: "" }, { sub: "a", ttl_seconds: 5 }, { sub: "a", role: "root" }]) {
      const res = await call(ponte, "POST", "/v1/tokens", { key, body });
      assert.equal(res.status, 422, JSON.stringify(body));
    }
  });
});

describe("channels", () => {
  test("secrets are never returned; the webhook URL is unguessable", async () => {
    const tenant = await createTenant(ponte);
    const channel = await createMetaChannel(ponte, tenant.api_key, { appSecret: "super-secret-app-secret" });
    assert.match(channel.webhook_url, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/meta\/[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(channel.config, { phone_number_id: "110200340056789" });
    const list = await call(ponte, "GET", "/v1/channels", { key: tenant.api_key });
    assert.equal(list.json.data.length, 1);
    for (const text of [channel.raw, list.text]) {
      assert.doesNotMatch(text, /super-secret-app-secret|EAAG-test-token|verify-me/);
    }
  });

  test("one channel by id; a Meta channel has no session to connect; another tenant's is 404", async () => {
    const tenant = await createTenant(ponte);
    const channel = await createMetaChannel(ponte, tenant.api_key);
    const one = await call(ponte, "GET", `/v1/channels/${channel.id}`, { key: tenant.api_key });
    assert.equal(one.status, 200);
    assert.equal(one.json.webhook_url, channel.webhook_url);
    assert.equal(one.json.connection, undefined, "the Cloud API has no session");
    const connect = await call(ponte, "POST", `/v1/channels/${channel.id}/connect`, { key: tenant.api_key });
    assert.equal(connect.status, 422);
    assert.match(connect.json.detail, /meta channels have no session/);
    const other = await createTenant(ponte);
    assert.equal((await call(ponte, "GET", `/v1/channels/${channel.id}`, { key: other.api_key })).status, 404);
    assert.equal((await call(ponte, "POST", `/v1/channels/${channel.id}/connect`, { key: other.api_key })).status, 404);
  });

  test("invalid channels are 422 with the field named", async () => {
    const { api_key: key } = await createTenant(ponte);
    const good = { provider: "meta", name: "x", config: { phone_number_id: "1" },
      secrets: { access_token: "a", app_secret: "b", verify_token: "c" } };
    const cases = [
      [{ ...good, provider: "carrier-pigeon" }, /provider: must be one of: meta, evolution, zapi, wppconnect/],
      [{ ...good, provider: "evolution", config: { base_url: "ftp://x", instance: "i" }, secrets: { api_key: "k" } }, /base_url/],
      [{ ...good, provider: "zapi", config: { instance_id: "I1" }, secrets: { instance_token: "t" } }, /secrets.*client_token/],
      [{ ...good, provider: "wppconnect", config: { base_url: "http://127.0.0.1:9", session: "s" }, secrets: { token: "" } }, /token/],
      [{ ...good, config: {} }, /config.*phone_number_id/],
      [{ ...good, config: { phone_number_id: "1", graph_base_url: "ftp://x" } }, /graph_base_url/],
      [{ ...good, secrets: { access_token: "a", app_secret: "", verify_token: "c" } }, /app_secret/],
      [{ ...good, secrets: { access_token: "a" } }, /secrets/],
      [{ ...good, name: "" }, /name/],
    ];
    for (const [body, detail] of cases) {
      const res = await call(ponte, "POST", "/v1/channels", { key, body });
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(res.json.detail, detail);
    }
    assert.equal((await call(ponte, "GET", "/v1/channels", { key })).json.data.length, 0);
  });
});

describe("read API", () => {
  test("conversations are ordered by last activity and paginate with a cursor", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    for (let i = 0; i < 5; i++) {
      await postWebhook(ponte, channel, textFrom(`551190000000${i}`, `wamid.C${i}`, 1717600000 + i * 10, `hi ${i}`));
    }
    // The oldest conversation becomes the most recent.
    await postWebhook(ponte, channel, textFrom("5511900000000", "wamid.C0b", 1717609999, "back again"));
    const pages = [];
    let cursor = "";
    do {
      const res = await call(ponte, "GET", `/v1/conversations?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key });
      assert.equal(res.status, 200);
      pages.push(res.json.data);
      cursor = res.json.next_cursor;
    } while (cursor);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    const order = pages.flat().map((c) => c.contact.phone);
    assert.deepEqual(order, ["+5511900000000", "+5511900000004", "+5511900000003", "+5511900000002", "+5511900000001"]);
    const first = pages[0][0];
    assert.deepEqual([first.last_message.preview, first.unread_count, first.status], ["back again", 2, "open"]);
  });

  test("messages are ordered by the provider's timestamp, then arrival, both ways, with cursors", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    // Delivered out of order; two share a timestamp (WhatsApp has one-second resolution).
    const sends = [["wamid.M3", 1717600030, "third"], ["wamid.M1", 1717600010, "first"],
      ["wamid.M2a", 1717600020, "second-a"], ["wamid.M2b", 1717600020, "second-b"]];
    for (const [id, ts, body] of sends) await postWebhook(ponte, channel, textFrom("5511911112222", id, ts, body));
    const [c] = await conversations(ponte, key);
    assert.deepEqual((await messagesOf(ponte, key, c.id)).map((m) => m.text), ["first", "second-a", "second-b", "third"]);
    assert.equal(c.last_message.preview, "third", "a late older message does not become the preview");

    const collect = async (order) => {
      const out = [];
      let cursor = "";
      do {
        const res = await call(ponte, "GET", `/v1/conversations/${c.id}/messages?limit=3&order=${order}${cursor ? `&cursor=${cursor}` : ""}`, { key });
        out.push(...res.json.data.map((m) => m.text));
        cursor = res.json.next_cursor;
      } while (cursor);
      return out;
    };
    assert.deepEqual(await collect("asc"), ["first", "second-a", "second-b", "third"]);
    assert.deepEqual(await collect("desc"), ["third", "second-b", "second-a", "first"]);
  });

  test("conversations are found by part of the contact's name or digits of the number, and counted", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, textFrom("5511955551234", "wamid.S1", 1717600000, "oi"));
    await postWebhook(ponte, channel, textFrom("5521966667777", "wamid.S2", 1717600010, "olá"));
    const found = async (q) => (await call(ponte, "GET", `/v1/conversations?q=${encodeURIComponent(q)}`, { key })).json.data.map((c) => c.contact.phone);
    assert.deepEqual(await found("contact 55119"), ["+5511955551234"], "by name, any case");
    assert.deepEqual(await found("+55 21 96666-7777"), ["+5521966667777"], "by the number as people write it");
    assert.deepEqual(await found("5555"), ["+5511955551234"], "by digits inside the number");
    assert.deepEqual(await found("%"), [], "a LIKE wildcard is only a character");
    const [first] = (await call(ponte, "GET", "/v1/conversations", { key })).json.data;
    await call(ponte, "PATCH", `/v1/conversations/${first.id}`, { key, body: { status: "resolved" } });
    const counts = await call(ponte, "GET", "/v1/conversations/counts", { key });
    assert.equal(counts.status, 200);
    assert.deepEqual(counts.json, { open: 1, pending: 0, resolved: 1, unread: 2 }, "every conversation, whatever page");
    assert.equal((await found("contact")).length, 2);
    // Up to the limit: D1 caps LIKE patterns at 50 bytes, so a search must not be one.
    const longest = await call(ponte, "GET", `/v1/conversations?q=${"contact 5511".padEnd(100, "9")}`, { key });
    assert.equal(longest.status, 200, longest.text);
    assert.deepEqual(longest.json.data, []);
    const long = await call(ponte, "GET", `/v1/conversations?q=${"x".repeat(101)}`, { key });
    assert.equal(long.status, 400);
  });

  test("a Meta channel lists its business account's approved templates; without the account, or on a gateway, 422 says why", async () => {
    const tenant = await createTenant(ponte);
    const token = "EAAG-templates";
    graph.registerTemplates("102290129340398", token, [
      { name: "order_update", language: "pt_BR", components: [{ type: "BODY", text: "Seu pedido {{1}} saiu" }] },
      { name: "promo_black_friday", language: "pt_BR", status: "REJECTED", category: "MARKETING" },
    ]);
    const channel = await createMetaChannel(ponte, tenant.api_key, { graphBaseUrl: graph.baseUrl, accessToken: token, businessAccountId: "102290129340398" });
    const listed = await call(ponte, "GET", `/v1/channels/${channel.id}/templates`, { key: tenant.api_key });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.data.map((t) => [t.name, t.language, t.category]), [["order_update", "pt_BR", "UTILITY"]]);
    assert.equal(listed.json.data[0].components[0].text, "Seu pedido {{1}} saiu");

    const bare = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId: "110200340056790", graphBaseUrl: graph.baseUrl });
    const missing = await call(ponte, "GET", `/v1/channels/${bare.id}/templates`, { key: tenant.api_key });
    assert.equal(missing.status, 422);
    assert.match(missing.json.detail, /config.business_account_id/);
    const wrongToken = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId: "110200340056791", graphBaseUrl: graph.baseUrl, businessAccountId: "102290129340398", accessToken: "EAAG-other" });
    const refused = await call(ponte, "GET", `/v1/channels/${wrongToken.id}/templates`, { key: tenant.api_key });
    assert.equal(refused.status, 502);
    assert.match(refused.json.detail, /Invalid OAuth access token/);
    const gateway = await call(ponte, "POST", "/v1/channels", { key: tenant.api_key, body: { provider: "evolution", name: "gw",
      config: { base_url: "http://127.0.0.1:9", instance: "loja" }, secrets: { api_key: "k" } } });
    const none = await call(ponte, "GET", `/v1/channels/${gateway.json.id}/templates`, { key: tenant.api_key });
    assert.equal(none.status, 422);
    assert.match(none.json.detail, /evolution channels have no templates/);
    const other = await createTenant(ponte);
    assert.equal((await call(ponte, "GET", `/v1/channels/${channel.id}/templates`, { key: other.api_key })).status, 404);
  });

  test("bad query parameters are 400 with a detail", async () => {
    const { key, channel } = await tenantWithChannel(ponte);
    await postWebhook(ponte, channel, readFileSync(`${FIXTURES}/meta/text.json`, "utf8"));
    const [c] = await conversations(ponte, key);
    for (const path of ["/v1/conversations?limit=0", "/v1/conversations?limit=abc", "/v1/conversations?cursor=garbage!",
      "/v1/conversations?status=archived", `/v1/conversations/${c.id}/messages?order=sideways`]) {
      const res = await call(ponte, "GET", path, { key });
      assert.equal(res.status, 400, path);
      assert.ok(res.json.detail, path);
    }
  });

  test("another tenant's ids answer 404, as if they did not exist", async () => {
    const a = await tenantWithChannel(ponte);
    const b = await tenantWithChannel(ponte);
    await postWebhook(ponte, a.channel, readFileSync(`${FIXTURES}/meta/text.json`, "utf8"));
    const [conv] = await conversations(ponte, a.key);
    assert.equal((await conversations(ponte, b.key)).length, 0);
    for (const path of [`/v1/conversations/${conv.id}`, `/v1/conversations/${conv.id}/messages`, `/v1/contacts/${conv.contact.id}`]) {
      assert.equal((await call(ponte, "GET", path, { key: a.key })).status, 200, path);
      const res = await call(ponte, "GET", path, { key: b.key });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
    }
    const events = (await call(ponte, "GET", "/v1/webhook-events", { key: b.key })).json.data;
    assert.equal(events.length, 0);
  });

  test("unknown paths and methods answer problem+json", async () => {
    const { key } = await tenantWithChannel(ponte);
    const missing = await call(ponte, "GET", "/v1/nothing-here", { key });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.status, 404);
    const wrongMethod = await call(ponte, "DELETE", "/v1/channels", { key });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET, POST", "a 405 names the methods the path takes");
    assert.equal((await call(ponte, "PUT", "/v1/conversations/con_x", { key })).headers.get("allow"), "GET, PATCH");
    assert.equal((await call(ponte, "GET", "/v1/tenants")).headers.get("allow"), "POST");
    assert.equal((await call(ponte, "DELETE", "/v1/contacts/ct_x/nothing", { key })).status, 404, "no method fits: no endpoint");
  });
});
