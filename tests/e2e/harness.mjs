// Starts the real Workers under `wrangler dev` (workerd) with fresh state on a free port, and
// gives tests small helpers to drive them over HTTP.
import { createHmac, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { ROOT, d1File, startWrangler } from "../../tools/wrangler-dev.mjs";
import { checkAnswer } from "./contract.mjs";

// d1File: the local D1 database file, for tests that inject a storage failure or read rows.
export { ROOT, d1File };
export const FIXTURES = join(ROOT, "tests/fixtures");
// send-message first: it defines the Durable Object the others bind to by script_name.
const FUNCTIONS = ["send-message", "webhook-receiver", "media-fetch"];

/**
 * The whole system with fresh state. `vars` override the Workers' [vars], e.g. a short retry
 * backoff for tests; they travel in the environment, since `--var` would reach only the primary.
 */
export async function startPonte({ vars = {}, persist, operatorKey = randomBytes(24).toString("base64url"),
  masterKey = randomBytes(32).toString("base64url"), masterKeyPrevious = "none" } = {}) {
  // `persist`, the keys: a restart of the same state, e.g. with a rotated master key.
  const running = await startWrangler({
    persist,
    configs: ["wrangler.toml", ...FUNCTIONS.map((f) => `functions/${f}/wrangler.toml`), "inbox/wrangler.toml"],
    migrate: "functions/webhook-receiver/wrangler.toml",
    // The providers are played on 127.0.0.1; a test may turn this off through `vars`.
    env: { PONTE_ALLOW_LOCAL_PROVIDERS: "1", ...vars, PONTE_OPERATOR_KEY: operatorKey, PONTE_MASTER_KEY: masterKey, PONTE_MASTER_KEY_PREVIOUS: masterKeyPrevious },
    ready: async (base) => (await fetch(`${base}/healthz`)).ok,
  });
  return { ...running, operatorKey };
}


export async function call(ponte, method, path, { key, body, headers = {} } = {}) {
  const res = await fetch(`${ponte.base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  // Every answer a test sees keeps api/openapi.json (tests/e2e/contract.mjs).
  checkAnswer(method, path, { status: res.status, contentType: res.headers.get("content-type"), json, text });
  return { status: res.status, headers: res.headers, text, json };
}

export async function createTenant(ponte, name = "Acme") {
  const res = await call(ponte, "POST", "/v1/tenants", { key: ponte.operatorKey, body: { name } });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${res.text}`);
  return res.json;
}

/** Connects a channel of any provider; `path` is its webhook URL's path. */
export async function createChannel(ponte, apiKey, { provider, name = `${provider} channel`, config, secrets }) {
  const res = await call(ponte, "POST", "/v1/channels", { key: apiKey, body: { provider, name, config, secrets } });
  if (res.status !== 201) throw new Error(`create ${provider} channel: ${res.status} ${res.text}`);
  return { ...res.json, raw: res.text, path: new URL(res.json.webhook_url).pathname };
}

export async function createMetaChannel(ponte, apiKey, { phoneNumberId = "110200340056789", appSecret, graphBaseUrl, accessToken = "EAAG-test-token", businessAccountId, defaultCountry } = {}) {
  const secret = appSecret ?? randomBytes(16).toString("hex");
  const res = await call(ponte, "POST", "/v1/channels", {
    key: apiKey,
    body: {
      provider: "meta",
      name: `WhatsApp ${phoneNumberId}`,
      config: { phone_number_id: phoneNumberId, ...(graphBaseUrl ? { graph_base_url: graphBaseUrl } : {}),
        ...(businessAccountId ? { business_account_id: businessAccountId } : {}),
        ...(defaultCountry ? { default_country: defaultCountry } : {}) },
      secrets: { access_token: accessToken, app_secret: secret, verify_token: "verify-me" },
    },
  });
  if (res.status !== 201) throw new Error(`create channel: ${res.status} ${res.text}`);
  return { ...res.json, raw: res.text, appSecret: secret, accessToken, phoneNumberId, path: new URL(res.json.webhook_url).pathname };
}

/** A tenant with one Meta channel: everything most tests need. */
export async function tenantWithChannel(ponte, options) {
  const tenant = await createTenant(ponte);
  const channel = await createMetaChannel(ponte, tenant.api_key, options);
  return { tenant, key: tenant.api_key, channel };
}

export function signMeta(secret, body) {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** POSTs `body` (object or exact string) to the channel's webhook, signed unless told otherwise. */
export async function postWebhook(ponte, channel, body, { signature } = {}) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const sig = signature === undefined ? signMeta(channel.appSecret, raw) : signature;
  return call(ponte, "POST", channel.path, { body: raw, headers: sig === null ? {} : { "x-hub-signature-256": sig } });
}

export async function conversations(ponte, key, query = "") {
  const res = await call(ponte, "GET", `/v1/conversations${query}`, { key });
  if (res.status !== 200) throw new Error(`conversations: ${res.status} ${res.text}`);
  return res.json.data;
}

export async function messagesOf(ponte, key, conversationId, query = "") {
  const res = await call(ponte, "GET", `/v1/conversations/${conversationId}/messages${query}`, { key });
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${res.text}`);
  return res.json.data;
}

/** Every message of the tenant, across conversations. */
export async function allMessages(ponte, key) {
  const out = [];
  for (const c of await conversations(ponte, key, "?limit=200")) {
    out.push(...(await messagesOf(ponte, key, c.id, "?limit=200")));
  }
  return out;
}

/**
 * Opens the realtime WebSocket. Collects every frame; `next(pred)` waits for the first frame not
 * yet taken that matches. Resolves once the hub's `ready` frame has arrived.
 */
export async function openSocket(ponte, { token, protocols, query = "" } = {}) {
  const url = `${ponte.base.replace(/^http/, "ws")}/v1/realtime${query}`;
  // An API key never goes in a URL: it rides as a subprotocol; a token may go in the query.
  const isKey = token?.startsWith("ponte_sk_");
  const ws = isKey
    ? new WebSocket(url, ["ponte", `bearer.${token}`])
    : new WebSocket(token ? `${url}${query ? "&" : "?"}access_token=${encodeURIComponent(token)}` : url, protocols);
  const frames = [];
  const waiters = [];
  let closed = null;
  ws.addEventListener("message", (e) => {
    let frame;
    try {
      frame = JSON.parse(e.data);
    } catch {
      frame = { type: "text", data: String(e.data) };
    }
    frame.receivedAt = performance.now();
    frames.push(frame);
    for (const w of [...waiters]) w.check();
  });
  ws.addEventListener("close", (e) => {
    closed = e;
    for (const w of [...waiters]) w.check();
  });
  const taken = new Set();
  const next = (pred = () => true, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const waiter = {
        check() {
          const i = frames.findIndex((f, i) => !taken.has(i) && pred(f));
          if (i >= 0) {
            taken.add(i);
            done();
            resolve(frames[i]);
          } else if (closed) {
            done();
            reject(new Error(`socket closed (${closed.code}) while waiting`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(waiter), 1);
      };
      waiters.push(waiter);
      waiter.check();
    });
  const opened = new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error("websocket error")), { once: true });
  });
  const whenClosed = new Promise((resolve) => ws.addEventListener("close", resolve, { once: true }));
  await opened;
  const ready = await next((f) => f.type === "ready");
  return {
    ws, frames, next, ready,
    events: () => frames.filter((f) => typeof f.seq === "number" && f.type.includes(".")),
    send: (obj) => ws.send(typeof obj === "string" ? obj : JSON.stringify(obj)),
    close: () => ws.close(),
    whenClosed,
  };
}

/** Sends a raw HTTP upgrade request and reports the answer, for refusals a WebSocket hides. */
export function rawUpgrade(ponte, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${ponte.base}${path}`, {
      headers: {
        connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"), ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers });
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Retries `check` until it stops throwing, and answers what it returned; past the time, its error. */
export async function eventually(check, timeoutMs = 15_000, everyMs = 150) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
