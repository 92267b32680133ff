// A local stand-in for an Evolution API v2 server on 127.0.0.1: it checks what Evolution checks
// (the instance in the path, the `apikey` header, each endpoint's JSON body) and answers in
// Evolution's shapes, including its error envelope. Tests script failures per recipient, and
// `follow` lets it play the phone: after each accepted send it posts the echo and the statuses
// to the channel's webhook, as Evolution does.
import { createServer } from "node:http";
import { API_KEY, INSTANCE, INSTANCE_ID, QR_IMAGE, apiId, evolutionEcho, evolutionStatus, jidOf } from "./evolution-payloads.mjs";
import { callLog } from "./call-log.mjs";

const evolutionError = (status, error, message) => ({ status, body: { status, error, response: { message } } });
const badRequest = (...messages) => evolutionError(400, "Bad Request", [messages]);

const isText = (v) => typeof v === "string";
const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
const MEDIA_TYPES = ["image", "document", "video", "audio"];

/** What each endpoint requires, as Evolution's JSON schemas say; a list of complaints. */
const CHECKS = {
  "message/sendText": (b) => [!isText(b.number) && 'requires property "number"', !isText(b.text) && 'requires property "text"'],
  "message/sendMedia": (b) => [
    !isText(b.number) && 'requires property "number"',
    !MEDIA_TYPES.includes(b.mediatype) && "mediatype is not one of enum values: image,document,video,audio",
    !isText(b.media) && "Owned media must be a url or base64",
  ],
  "message/sendSticker": (b) => [
    !isText(b.number) && 'requires property "number"',
    !isText(b.sticker) && 'requires property "sticker"',
  ],
  "message/sendLocation": (b) => [
    !isText(b.number) && 'requires property "number"',
    !isNumber(b.latitude) && 'requires property "latitude"',
    !isNumber(b.longitude) && 'requires property "longitude"',
    !isText(b.name) && 'requires property "name"',
    !isText(b.address) && 'requires property "address"',
  ],
  "message/sendReaction": (b) => [
    !(isText(b.key?.id) && b.key.id) && 'The "id" cannot be empty',
    !(isText(b.key?.remoteJid) && b.key.remoteJid) && 'The "remoteJid" cannot be empty',
    typeof b.key?.fromMe !== "boolean" && 'requires property "fromMe"',
    !isText(b.reaction) && 'requires property "reaction"',
  ],
  "chat/markMessageAsRead": (b) => [
    !(Array.isArray(b.readMessages) && b.readMessages.length > 0) && 'requires property "readMessages"',
    ...(b.readMessages ?? []).map((r) => !(isText(r?.id) && r.id && isText(r?.remoteJid) && typeof r?.fromMe === "boolean") && "readMessages item needs id, remoteJid and fromMe"),
  ],
};

/** The stored message Evolution answers a send with (and echoes): its content per endpoint. */
function sentContent(endpoint, body) {
  switch (endpoint) {
    case "message/sendText": return [{ conversation: body.text }, "conversation"];
    case "message/sendMedia": {
      const type = `${body.mediatype}Message`;
      return [{ [type]: { url: "https://mmg.whatsapp.net/v/t62.7118-24/emulated.enc", mimetype: body.mimetype ?? "application/octet-stream", caption: body.caption, fileName: body.fileName } }, type];
    }
    case "message/sendSticker":
      return [{ stickerMessage: { url: "https://mmg.whatsapp.net/v/t62.15575-24/emulated.enc", mimetype: "image/webp" } }, "stickerMessage"];
    case "message/sendLocation":
      return [{ locationMessage: { degreesLatitude: body.latitude, degreesLongitude: body.longitude, name: body.name, address: body.address } }, "locationMessage"];
    default: return [{ reactionMessage: { key: body.key, text: body.reaction } }, "reactionMessage"];
  }
}

/** The recipient a script is keyed by: `number`, a reaction's chat, a read receipt's message id. */
const recipientOf = (body) => body?.number ?? body?.key?.remoteJid ?? body?.readMessages?.[0]?.id;

export async function startEvolution({ port = 0, instance = INSTANCE, apiKey = API_KEY } = {}) {
  const keys = new Map([[instance, apiKey]]); // instance → its token
  const states = new Map(); // instance → "open" once connected; otherwise connect offers a QR
  const followers = new Map(); // instance → { webhookUrl, echo, statuses, echoFirst, echoEvent }
  const scripts = new Map(); // recipient → [answer, …] served before the default success
  const jids = new Map(); // number → the JID Evolution reports for it
  const log = callLog("evolution emulator");
  const { calls } = log;

  function route(req, body) {
    const url = new URL(req.url, "http://emulator");
    const match = url.pathname.match(/^\/(message\/send\w+|chat\/markMessageAsRead|instance\/connect)\/([^/]+)$/);
    if (!match) return evolutionError(404, "Not Found", `Cannot ${req.method} ${url.pathname}`);
    const [, endpoint, encoded] = match;
    const name = decodeURIComponent(encoded);
    if (!keys.has(name)) return evolutionError(404, "Not Found", [`The "${name}" instance does not exist`]);
    if (req.headers.apikey !== keys.get(name)) return evolutionError(401, "Unauthorized", "Unauthorized");
    if (endpoint === "instance/connect") {
      if (req.method !== "GET") return evolutionError(404, "Not Found", `Cannot ${req.method} ${url.pathname}`);
      if (states.get(name) === "open") return { status: 200, body: { instance: { instanceName: name, state: "open" } } };
      return { status: 200, body: { pairingCode: null, code: `2@emulated-${Date.now()},${apiId()}`, base64: QR_IMAGE, count: 1 } };
    }
    if (req.method !== "POST") return evolutionError(404, "Not Found", `Cannot ${req.method} ${url.pathname}`);
    if (!String(req.headers["content-type"]).startsWith("application/json") || body === undefined) return badRequest("body must be JSON");
    const check = CHECKS[endpoint];
    if (!check) return evolutionError(404, "Not Found", `Cannot POST ${url.pathname}`);
    const complaints = check(body).filter(Boolean);
    if (body.quoted !== undefined && !(isText(body.quoted?.key?.id) && body.quoted.key.id)) complaints.push('The "id" cannot be empty');
    if (complaints.length) return badRequest(...complaints);
    const scripted = scripts.get(recipientOf(body))?.shift();
    if (scripted?.status) return scripted;
    const delayMs = scripted?.delayMs ?? 0;
    if (endpoint === "chat/markMessageAsRead") return { status: 201, body: { message: "Read messages", read: "success" }, delayMs };
    const remoteJid = jids.get(body.number) ?? jidOf(body.number ?? body.key.remoteJid);
    const id = apiId();
    const [message, messageType] = sentContent(endpoint, body);
    const stored = { key: { remoteJid, fromMe: true, id }, pushName: "Você", status: "PENDING", message, contextInfo: null, messageType, messageTimestamp: Math.floor(Date.now() / 1000), instanceId: INSTANCE_ID, source: "unknown" };
    return { status: 201, body: stored, delayMs, sent: { name, id, remoteJid, message, messageType } };
  }

  const post = (url, payload) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }).catch(() => {});

  /** The phone's side of an accepted send: the echo (unless it went first) and each status. */
  const echoOf = ({ name, id, remoteJid, message, messageType }, follower) =>
    evolutionEcho({ to: remoteJid, id, message, messageType, event: follower.echoEvent, instance: name, apikey: keys.get(name) });

  async function playThePhone(sent, echoed) {
    const { name, id, remoteJid } = sent;
    const follower = followers.get(name);
    if (!follower) return;
    if (follower.echo && !echoed) await post(follower.webhookUrl, echoOf(sent, follower));
    for (const [i, status] of follower.statuses.entries()) {
      const update = evolutionStatus({ id, status, to: remoteJid, instance: name, apikey: keys.get(name) });
      setTimeout(() => post(follower.webhookUrl, update), 200 * (i + 1));
    }
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", async () => {
      let body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {}
      const answer = route(req, body);
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, body: body ?? (raw || null), status: answer.status, at: Date.now() });
      const follower = answer.sent && followers.get(answer.sent.name);
      const echoFirst = Boolean(follower?.echo && follower.echoFirst);
      // A real gateway can deliver the echo webhook before the send's own answer arrives.
      if (echoFirst) await post(follower.webhookUrl, echoOf(answer.sent, follower));
      setTimeout(() => {
        res.writeHead(answer.status, { "content-type": typeof answer.body === "string" ? "text/html" : "application/json", ...(answer.headers ?? {}) });
        res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
        if (answer.sent) playThePhone(answer.sent, echoFirst);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    calls,
    /** Serve another instance with its own token. */
    register(name, key) {
      keys.set(name, key);
    },
    /** `open`: connect reports the session open; anything else offers a QR code. */
    setState(name, state) {
      states.set(name, state);
    },
    /**
     * After each accepted send on `instance`, post to `webhookUrl` the echo (if `echo`) and the
     * given statuses, ~200 ms apart. `echoFirst` posts the echo before answering the send;
     * `echoEvent` is `send.message` (API sends) or `messages.upsert` (as some versions do).
     */
    follow(webhookUrl, { instance: name = instance, echo = true, statuses = ["sent", "delivered", "read"], echoFirst = false, echoEvent = "send.message" } = {}) {
      followers.set(name, { webhookUrl, echo, statuses, echoFirst, echoEvent });
    },
    /** The next answers for `recipient` (a `number`, a reaction's JID, a read message's id). */
    script(recipient, ...responses) {
      scripts.set(recipient, [...(scripts.get(recipient) ?? []), ...responses]);
    },
    /** The JID Evolution reports for a number, e.g. a Brazilian mobile without its ninth digit. */
    jidFor(number, jid) {
      jids.set(number, jid);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  serverError: () => evolutionError(500, "Internal Server Error", "Internal Server Error"),
  rateLimited: (retryAfter = "1") => ({ ...evolutionError(429, "Too Many Requests", "Too Many Requests"), headers: { "retry-after": retryAfter } }),
  badRequest: (reason = "Bad Request") => badRequest(reason),
  notOnWhatsApp: (number) => evolutionError(400, "Bad Request", [{ jid: jidOf(number), exists: false, number }]),
  unauthorized: () => evolutionError(401, "Unauthorized", "Unauthorized"),
  /** Accepted, but with no message id: the caller cannot match statuses to it. */
  missingId: () => ({ status: 201, body: { status: "PENDING" } }),
  /** Accepts the message, but answers only after `ms`. */
  slow: (ms) => ({ delayMs: ms }),
};
