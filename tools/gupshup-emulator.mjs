// A local stand-in for GupShup's WhatsApp API on 127.0.0.1. It checks what GupShup checks (the
// `apikey` header, a form-encoded body with channel=whatsapp, source, destination, src.name and a
// `message` holding the message as JSON with a known `type`) and answers as GupShup does:
// `{"status":"submitted","messageId":"<uuid>"}`, or `{"status":"error","message":…}`. Tests script
// failures per destination, and `follow` plays WhatsApp behind GupShup: each accepted send's v2
// message-events (enqueued with WhatsApp's id, then sent, delivered, read naming it with `gsId`)
// are posted to the app's callback URL, which GupShup keeps per app, not per send.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { callLog } from "./call-log.mjs";

export const API_KEY = "gs-8c1d4f0a9b7e4d2c";
export const APP_NAME = "PonteDemo";
const EVENT_SPACING_MS = 200;
const TYPES = new Set(["text", "image", "video", "audio", "file", "sticker", "location", "reaction"]);
const DIGITS = /^[1-9]\d{7,14}$/;

const error = (status, message) => ({ status, body: { status: "error", message } });

/** WhatsApp's id for a message, as GupShup passes it on. */
export const whatsappId = () => `gBEG${randomBytes(12).toString("base64url")}`;

/** A v2 `message-event` callback body. */
export function messageEvent({ gsId, waId, type, destination, app = APP_NAME, at = Date.now(), extra = {} }) {
  const named = type === "enqueued" || type === "failed" ? { id: gsId } : { id: waId, ...(gsId ? { gsId } : {}) };
  const payload = type === "enqueued" ? { whatsappMessageId: waId, type: "session" } : { ts: Math.floor(at / 1000), ...extra };
  return { app, timestamp: at, version: 2, type: "message-event", payload: { ...named, type, destination, payload } };
}

/** A v2 inbound `message` callback body of `type` with its `payload`. */
export function inboundMessage({ from, type = "text", payload, name = "Maria Souza", id = `ABEG${randomBytes(14).toString("base64url")}`, app = APP_NAME, at = Date.now(), context }) {
  return {
    app, timestamp: at, version: 2, type: "message",
    payload: { id, source: from, type, payload, sender: { phone: from, name, country_code: from.slice(0, 2), dial_code: from.slice(2) }, ...(context ? { context } : {}) },
  };
}

export async function startGupshup({ port = 0, apiKey = API_KEY } = {}) {
  const scripts = new Map(); // destination → [answer, …] before success resumes
  let follower = null; // { events, callbackUrl }
  const log = callLog("gupshup emulator");

  function check(req, raw) {
    if (req.url !== "/wa/api/v1/msg") return { failure: error(404, "Not Found") };
    if (req.headers.apikey !== apiKey) return { failure: error(401, "Authentication Failed") };
    if (req.method !== "POST") return { failure: error(405, "Method Not Allowed") };
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) return { failure: error(400, "Invalid Content-Type") };
    const form = new URLSearchParams(raw);
    if (form.get("channel") !== "whatsapp") return { failure: error(400, "Invalid Channel") };
    if (!form.get("src.name")) return { failure: error(400, "Missing src.name") };
    if (!DIGITS.test(form.get("source") ?? "")) return { failure: error(400, "Invalid Source") };
    const destination = form.get("destination") ?? "";
    if (!DIGITS.test(destination)) return { failure: error(400, "Invalid Destination") };
    let message;
    try {
      message = JSON.parse(form.get("message") ?? "");
    } catch {
      return { failure: error(400, "Invalid Message") };
    }
    if (!TYPES.has(message?.type)) return { failure: error(400, "Invalid Message Type") };
    return { form, destination, message };
  }

  function answer(req, raw) {
    const { failure, destination } = check(req, raw);
    if (failure) return failure;
    const script = scripts.get(destination)?.shift();
    if (script) return script;
    const gsId = randomUUID();
    if (follower) {
      const waId = whatsappId();
      const { events, callbackUrl } = follower;
      events.forEach((type, i) =>
        setTimeout(() => postEvent(callbackUrl, messageEvent({ gsId, waId, type, destination })), EVENT_SPACING_MS * (i + 1)));
    }
    return { status: 202, body: { status: "submitted", messageId: gsId } };
  }

  const postEvent = (url, body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then((res) => res.arrayBuffer())
      .catch(() => {});

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const { status, body, headers = {} } = answer(req, raw);
      const form = Object.fromEntries(new URLSearchParams(raw));
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, form, status, at: Date.now() });
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    calls: log.calls,
    /** After each accepted send, post its message-events of `events` to `callbackUrl`, ~200 ms apart (null stops). */
    follow(events, callbackUrl) {
      follower = events ? { events, callbackUrl } : null;
    },
    /** The next answers for sends to `destination`, before success resumes. */
    script(destination, ...answers) {
      scripts.set(destination, [...(scripts.get(destination) ?? []), ...answers]);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  serverError: () => error(500, "Internal Server Error"),
  rateLimited: (retryAfter = "1") => ({ ...error(429, "Too Many Requests"), headers: { "retry-after": retryAfter } }),
  invalidDestination: () => error(400, "Invalid Destination"),
};
