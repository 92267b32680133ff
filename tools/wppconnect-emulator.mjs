// A local stand-in for WPPConnect Server on 127.0.0.1: it checks what the server checks (the
// session in `/api/{session}/…`, its bearer token, the session being connected, the number, the
// JSON each route reads) and answers as the server does. Tests script failures per recipient
// (the `phone`, or the `msgId` of a reaction); `follow` lets it play the phone too, posting the
// echo of each accepted send and its acks to the channel's webhook.
import { createServer } from "node:http";
import { QR_PNG, messageKey, wppAck, wppEcho, wppStatusFind } from "./wppconnect-payloads.mjs";
import { callLog } from "./call-log.mjs";

const MESSAGE_ROUTES = ["send-message", "send-image", "send-file", "send-voice", "send-sticker", "send-location"];
const FIELDS = {
  "send-message": { phone: "string", message: "string" },
  "send-image": { phone: "string", path: "string" },
  "send-file": { phone: "string", path: "string" },
  "send-voice": { phone: "string", path: "string" },
  "send-sticker": { phone: "string", path: "string" },
  "send-location": { phone: "string", lat: "string", lng: "string" },
  "react-message": { msgId: "string", reaction: "string" },
  "send-seen": { phone: "string" },
  "start-session": {},
};
const OPTIONAL = { isGroup: "boolean", isNewsletter: "boolean", isLid: "boolean", caption: "string", filename: "string",
  quotedMessageId: "string", options: "object", title: "string", address: "string" };

const reply = (status, body, extra = {}) => ({ status, body, ...extra });
const sessionDown = () => reply(404, { response: null, status: "Disconnected", message: "A sessão do WhatsApp não está ativa." });
const noSuchNumber = (number) => reply(400, { response: null, status: "Connected", message: `O número ${number} não existe.` });

export async function startWppConnect({ port = 0, session = "ponte-loja", token = "wpp-test-token", state = "CONNECTED" } = {}) {
  const sessions = new Map([[session, { token, state }]]);
  const scripts = new Map(); // recipient (phone or msgId) → [answer, …] before success resumes
  const log = callLog("wppconnect emulator");
  const { calls } = log;
  let follower = null; // { webhookUrl, echo, statuses, echoFirst }

  function check(req, raw) {
    const match = req.url.match(/^\/api\/([^/?]+)\/([^/?]+)$/);
    if (req.method !== "POST" || !match || !(match[2] in FIELDS)) return reply(404, `Cannot ${req.method} ${req.url}`);
    const [, name, route] = match;
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ") || auth.length <= 7) {
      return reply(401, { message: "Token is not present. Check your header and try again" });
    }
    const known = sessions.get(decodeURIComponent(name));
    if (!known || auth !== `Bearer ${known.token}`) return reply(401, { error: "Check that the Session and Token are correct" });
    if (!String(req.headers["content-type"]).startsWith("application/json")) return reply(400, { message: "expected JSON" });
    let body;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return reply(400, { message: "Unexpected token in JSON" });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return reply(400, { message: "expected a JSON object" });
    for (const [field, type] of Object.entries(FIELDS[route])) {
      if (typeof body[field] !== type) return reply(400, { status: "error", message: `${field} must be a ${type}` });
    }
    for (const [field, value] of Object.entries(body)) {
      const type = OPTIONAL[field] ?? FIELDS[route][field] ?? (route === "start-session" ? typeof value : undefined);
      if (!type) return reply(400, { status: "error", message: `${route} does not read ${field}` });
      if (typeof value !== type) return reply(400, { status: "error", message: `${field} must be a ${type}` });
    }
    return { route, name: decodeURIComponent(name), known, body };
  }

  /** The JID the server would build for `phone` (functions.ts#contactToArray), or an answer refusing it. */
  function recipientOf(body) {
    const phone = body.phone.split("@")[0];
    if (body.isGroup) return `${phone}@g.us`;
    if (body.isNewsletter) return `${phone}@newsletter`;
    if (!/^\d{8,15}$/.test(phone)) return noSuchNumber(phone);
    return body.isLid || phone.length > 14 ? `${phone}@lid` : `${phone}@c.us`;
  }

  async function answer(req, raw) {
    const checked = check(req, raw);
    if (checked.status) return checked;
    const { route, name, known, body } = checked;
    if (route === "start-session") return startSession(name, known);
    if (known.state !== "CONNECTED") return sessionDown();
    if (route === "react-message") {
      return scripted(body.msgId) ?? reply(200, { status: "success", response: { message: "Reaction sended" } });
    }
    const to = recipientOf(body);
    if (typeof to !== "string") return to;
    const scriptedAnswer = scripted(body.phone);
    if (scriptedAnswer?.status) return scriptedAnswer;
    if (route === "send-seen") {
      const response = { message: "Information retrieved successfully.", contact: [to], session: name, data: [true] };
      return reply(201, { status: "Success", response });
    }
    const id = messageKey({ fromMe: true, chat: to })._serialized;
    const echo = echoOf(route, body, id, to);
    if (follower?.echo && follower.echoFirst) await post(echo);
    followWithStatuses(id, to, follower?.echo && !follower.echoFirst ? echo : null);
    // send-message answers the sent message as the server serializes it (its id a string); the
    // other routes `{ack, id}`.
    const { event: _event, session: _session, ...message } = echo;
    const sent = route === "send-message" ? { ...message, id } : { ack: 1, id };
    return { delayMs: scriptedAnswer?.delayMs ?? 0, ...reply(201, { status: "success", response: [sent], mapper: "return" }) };
  }

  function startSession(name, known) {
    if (known.state === "CONNECTED") return reply(200, { status: "CONNECTED", qrcode: null, urlcode: null, version: "2.8.6" });
    known.state = "QRCODE";
    return reply(200, { status: "qrcode", qrcode: QR_PNG, urlcode: `2@EMU${Date.now()},Qm9u=,Vd3f=`, session: name });
  }

  function echoOf(route, body, id, to) {
    const extra = { caption: body.caption, filename: body.filename, lat: Number(body.lat), lng: Number(body.lng), loc: body.title };
    const type = {
      "send-message": "chat", "send-image": "image", "send-voice": "ptt", "send-sticker": "sticker", "send-location": "location",
      "send-file": body.options?.type === "video" ? "video" : "document",
    }[route];
    const fields = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined && !Number.isNaN(v)));
    return wppEcho({ to, id, type, body: route === "send-message" ? body.message : undefined, extra: fields });
  }

  function followWithStatuses(id, to, echo) {
    if (!follower) return;
    const posts = [...(echo ? [echo] : []), ...follower.statuses.map((status) => wppAck({ id, status, to: to.split("@")[0] }))];
    posts.forEach((payload, i) => setTimeout(() => post(payload), 200 * (i + 1)));
  }

  function post(payload) {
    if (!follower) return Promise.resolve();
    return fetch(follower.webhookUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) })
      .catch(() => {});
  }

  function scripted(key) {
    const queue = scripts.get(key);
    return queue?.length ? queue.shift() : null;
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", async () => {
      const { status, body, headers = {}, delayMs = 0 } = await answer(req, raw);
      let parsed = raw;
      try {
        parsed = JSON.parse(raw);
      } catch {}
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, body: parsed, status, at: Date.now() });
      const text = typeof body === "string" ? body : JSON.stringify(body);
      setTimeout(() => {
        res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers });
        res.end(text);
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
    /** Accept `token` for one more session. */
    register(name, sessionToken, sessionState = "CONNECTED") {
      sessions.set(name, { token: sessionToken, state: sessionState });
    },
    /** CONNECTED, CLOSED, QRCODE…: anything but CONNECTED refuses sends as the server does. */
    setState(name, sessionState) {
      sessions.get(name).state = sessionState;
    },
    /** The phone scans the QR code: the session connects and `status-find inChat` is posted. */
    async login(name = session) {
      sessions.get(name).state = "CONNECTED";
      await post(wppStatusFind("inChat", name));
    },
    /** After each accepted send, post its echo (before the answer with `echoFirst`) and acks. */
    follow(webhookUrl, { echo = true, statuses = ["sent", "delivered", "read"], echoFirst = false } = {}) {
      follower = { webhookUrl, echo, statuses, echoFirst };
    },
    /** The next answers for sends to `recipient` (a phone, or a reaction's msgId). */
    script(recipient, ...scriptedAnswers) {
      scripts.set(recipient, [...(scripts.get(recipient) ?? []), ...scriptedAnswers]);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  /** What the server answers for any failure inside WhatsApp Web. */
  serverError: (detail = "Evaluation failed: chat not found") =>
    reply(500, { status: "Error", message: "Erro ao enviar a mensagem.", error: { message: detail } }),
  /** A proxy in front of the server throttling. */
  rateLimited: (retryAfter = "1") => reply(429, "Too Many Requests", { headers: { "retry-after": retryAfter } }),
  badRequest: (reason = "Error sending message") => reply(400, { response: null, status: "Connected", message: reason }),
  numberNotFound: (number = "5511900000000") => noSuchNumber(number),
  sessionDown,
  /** The link could not be downloaded: the server's `empty_file`. */
  badFile: () => reply(500, { status: "Error", message: "Erro ao enviar a mensagem.", error: { code: "empty_file" } }),
  /** Accepts the message, but answers only after `ms`: slower than the sender waits. */
  slow: (ms) => ({ delayMs: ms }),
};
