// A local stand-in for Z-API on 127.0.0.1: it checks what Z-API checks (the instance and its
// token in the path, the Client-Token header, the documented JSON body of each send endpoint)
// and answers as Z-API does: `{zaapId, messageId, id}` for sends, 204 for read receipts, a QR
// image for `qr-code/image`. Tests script failures per recipient, and `follow` lets it play the
// phone: the fromMe echo and the statuses of each accepted send are posted to the channel's
// webhook, like a real instance with "notify sent by me" on.
//
// Error bodies have Z-API's documented shape (`{"error": "…"}`); their HTTP statuses are not
// documented and are this emulator's choice.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { INSTANCE_ID, echoContent, zapiEcho, zapiStatus } from "./zapi-payloads.mjs";
import { callLog } from "./call-log.mjs";

export const INSTANCE_TOKEN = "F0E1D2C3B4A5968778695A4B";
export const CLIENT_TOKEN = "Fe8d7c6b5a4f3e2d1c0b";
const QR_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const STATUS_SPACING_MS = 200;

// The string fields each endpoint requires besides `phone` (Z-API documents coordinates as strings).
const REQUIRED = {
  "send-text": ["message"],
  "send-image": ["image"],
  "send-audio": ["audio"],
  "send-video": ["video"],
  "send-sticker": ["sticker"],
  "send-document": ["document"],
  "send-location": ["title", "address", "latitude", "longitude"],
  "send-reaction": ["reaction", "messageId"],
  "send-remove-reaction": ["messageId"],
  "read-message": ["messageId"],
};
const PHONE = /^(\d{8,15}|\d+@lid|[\d-]+-group|\d+-broadcast)$/;

const error = (status, message) => ({ status, body: { error: message } });
const hex = (bytes) => randomBytes(bytes).toString("hex").toUpperCase();

export async function startZApi({ port = 0, instanceId = INSTANCE_ID, instanceToken = INSTANCE_TOKEN, clientToken = CLIENT_TOKEN } = {}) {
  const instances = new Map([[instanceId, { instanceToken, clientToken, connected: false }]]);
  const followers = new Map(); // instance id → { webhookUrl, echo, statuses, echoFirst }
  const scripts = new Map(); // recipient phone (or "qr-code") → [answer, …] before success resumes
  const log = callLog("zapi emulator");
  const { calls } = log;

  function scripted(key) {
    return scripts.get(key)?.shift() ?? null;
  }

  function check(req, raw) {
    const match = req.url.match(/^\/instances\/([^/]+)\/token\/([^/]+)\/([^?]+)$/);
    if (!match) return { failure: error(404, "NOT_FOUND") };
    const [, id, token, endpoint] = match;
    const instance = instances.get(id);
    if (!instance || instance.instanceToken !== token) return { failure: error(400, "Instance not found") };
    const given = req.headers["client-token"];
    if (!given) return { failure: error(400, "null not allowed") };
    if (given !== instance.clientToken) return { failure: error(403, "Client-Token not allowed") };
    if (endpoint === "qr-code/image") {
      return req.method === "GET" ? { id, instance, endpoint } : { failure: error(405, "Method Not Allowed") };
    }
    const name = endpoint.startsWith("send-document/") ? "send-document" : endpoint;
    if (!REQUIRED[name] || (name === "send-document" && !/^send-document\/[a-z0-9]+$/i.test(endpoint))) {
      return { failure: error(404, "NOT_FOUND") };
    }
    if (req.method !== "POST") return { failure: error(405, "Method Not Allowed") };
    if (!String(req.headers["content-type"]).startsWith("application/json")) return { failure: error(415, "Unsupported Media Type") };
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return { failure: error(400, "Invalid JSON") };
    }
    if (typeof body?.phone !== "string" || !PHONE.test(body.phone)) return { failure: error(400, "Invalid phone") };
    const missing = REQUIRED[name].find((field) => typeof body[field] !== "string");
    if (missing) return { failure: error(400, `${missing} is required`) };
    return { id, instance, endpoint, name, body };
  }

  async function answer(req, raw) {
    const { failure, id, instance, endpoint, name, body } = check(req, raw);
    if (failure) return failure;
    if (endpoint === "qr-code/image") {
      return scripted("qr-code") ?? { status: 200, body: instance.connected ? { connected: true } : { value: QR_IMAGE } };
    }
    const script = scripted(body.phone);
    if (script?.status) return script;
    if (name === "read-message") return { status: 204, delayMs: script?.delayMs ?? 0 };
    const messageId = `3EB0${hex(8)}`;
    const follower = followers.get(id);
    if (follower?.echo && follower.echoFirst) await post(follower.webhookUrl, echoOf(id, endpoint, body, messageId));
    follow(id, endpoint, body, messageId);
    return { status: 200, delayMs: script?.delayMs ?? 0, body: { zaapId: hex(16), messageId, id: messageId } };
  }

  function echoOf(id, endpoint, body, messageId) {
    return zapiEcho({ phone: body.phone, id: messageId, instanceId: id, content: echoContent(endpoint, body) });
  }

  function follow(id, endpoint, body, messageId) {
    const follower = followers.get(id);
    if (!follower) return;
    const events = [];
    if (follower.echo && !follower.echoFirst) events.push(echoOf(id, endpoint, body, messageId));
    for (const status of follower.statuses) events.push(zapiStatus({ id: messageId, status, phone: body.phone, instanceId: id }));
    events.forEach((event, i) => setTimeout(() => post(follower.webhookUrl, event), STATUS_SPACING_MS * (i + 1)));
  }

  function post(url, event) {
    return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) })
      .then((res) => res.arrayBuffer())
      .catch(() => {});
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", async () => {
      const { status, body, headers = {}, delayMs = 0 } = await answer(req, raw);
      let parsed = null;
      try {
        parsed = JSON.parse(raw);
      } catch {}
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, body: parsed, status, at: Date.now() });
      setTimeout(() => {
        if (body === undefined) {
          res.writeHead(status, headers).end();
        } else {
          const text = typeof body === "string" ? body : JSON.stringify(body);
          res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers }).end(text);
        }
      }, delayMs);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    calls,
    /** Accept another instance with its tokens. */
    register(id, token, client) {
      instances.set(id, { instanceToken: token, clientToken: client, connected: false });
    },
    /** Whether `qr-code/image` answers `{connected: true}` rather than a QR code. */
    setConnected(connected, id = instanceId) {
      instances.get(id).connected = connected;
    },
    /**
     * After each accepted send, post to `webhookUrl` the fromMe echo (if `echo`) and then the
     * `statuses` ("sent", "delivered", "read", "played") of its id, ~200 ms apart. `echoFirst`
     * posts the echo before the send is answered, as a real gateway can.
     */
    follow(webhookUrl, { echo = true, statuses = ["sent", "delivered", "read"], echoFirst = false } = {}, id = instanceId) {
      followers.set(id, { webhookUrl, echo, statuses, echoFirst });
    },
    /** The next answers for calls to `recipient` (or "qr-code"), before success resumes. */
    script(recipient, ...answers) {
      scripts.set(recipient, [...(scripts.get(recipient) ?? []), ...answers]);
    },
    callsTo(recipient) {
      return calls.filter((c) => c.body?.phone === recipient);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  serverError: () => ({ status: 500, body: "<html><body>Internal Server Error</body></html>" }),
  rateLimited: (retryAfter = "1") => ({ ...error(429, "Too many requests"), headers: { "retry-after": retryAfter } }),
  badRequest: (reason = "Invalid phone") => error(400, reason),
  notConnected: () => error(400, "You are not connected."),
  /** Accepts the call, but answers only after `ms`: slower than the sender waits. */
  slow: (ms) => ({ delayMs: ms }),
};
