// A local stand-in for the WhatsApp Cloud API (Graph API) on 127.0.0.1: it checks what Meta
// checks (bearer token, the phone number id in the path, the documented JSON body) and answers
// as Meta does, including its error envelope. Tests script failures per recipient; `npm start`
// uses it as the embedded default provider and lets it play the phone too, sending the
// sent → delivered → read statuses back to the channel's webhook, signed like Meta.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { metaStatus } from "./meta-payloads.mjs";
import { callLog } from "./call-log.mjs";

export const GRAPH_VERSION = "v23.0";
const SEND_TYPES = ["text", "image", "audio", "video", "document", "location", "reaction", "template", "sticker", "contacts", "interactive"];

const metaError = (status, code, message, extra = {}) => ({
  status,
  body: { error: { message, type: "OAuthException", code, fbtrace_id: "AbCdEfGhIjK", ...extra } },
});

export async function startGraph({ port = 0 } = {}) {
  const tokens = new Map(); // phone_number_id → access token
  const followers = new Map(); // phone_number_id → { webhookUrl, appSecret } for status webhooks
  const scripts = new Map(); // recipient → [response, …] answered before the default success
  const waIds = new Map(); // recipient → the wa_id Meta reports for it
  const mediaFiles = new Map(); // media id → { urls, mimeType, sha256, size, token }
  const uploads = new Map(); // media id → what the business uploaded: { bytes, type, fileType, filename }
  const accounts = new Map(); // business account id → { token, templates }
  const log = callLog("emulator");
  const { calls } = log;
  let counter = 0;

  function answer(req, raw) {
    const listing = req.method === "GET" && req.url.match(new RegExp(`^/${GRAPH_VERSION}/([^/?]+)/message_templates(\\?.*)?$`));
    if (listing) return templateList(req, listing[1]);
    const lookup = req.method === "GET" && req.url.match(new RegExp(`^/${GRAPH_VERSION}/([^/?]+)$`));
    if (lookup) return mediaLookup(req, lookup[1]);
    const match = req.url.match(new RegExp(`^/${GRAPH_VERSION}/([^/?]+)/messages$`));
    if (req.method !== "POST" || !match) return metaError(400, 100, "Unsupported request - method type: get");
    const phoneNumberId = match[1];
    const expected = tokens.get(phoneNumberId);
    if (!expected) return metaError(400, 100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`);
    if (req.headers.authorization !== `Bearer ${expected}`) {
      return metaError(401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    if (!String(req.headers["content-type"]).startsWith("application/json")) {
      return metaError(400, 100, "(#100) The parameter messaging_product is required.");
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return metaError(400, 100, "(#100) Invalid JSON");
    }
    if (body.messaging_product !== "whatsapp") return metaError(400, 100, "(#100) The parameter messaging_product is required.");
    if (body.status === "read") {
      if (typeof body.message_id !== "string" || !body.message_id.startsWith("wamid.")) {
        return metaError(400, 131009, "(#131009) Parameter value is not valid");
      }
      return scripted(body.message_id) ?? { status: 200, body: { success: true } };
    }
    if (typeof body.to !== "string" || !/^\d{8,15}$/.test(body.to)) return metaError(400, 100, "(#100) Invalid parameter: to");
    if (!SEND_TYPES.includes(body.type) || typeof body[body.type] !== "object") {
      return metaError(400, 100, `(#100) Param ${body.type} is required`);
    }
    const scriptedAnswer = scripted(body.to);
    if (scriptedAnswer?.status) return scriptedAnswer;
    counter += 1;
    const wamid = `wamid.EMU${String(counter).padStart(6, "0")}${Math.random().toString(36).slice(2, 8)}`;
    followWithStatuses(phoneNumberId, wamid, body.to);
    return {
      delayMs: scriptedAnswer?.delayMs ?? 0,
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: body.to, wa_id: waIds.get(body.to) ?? body.to }],
        messages: [{ id: wamid, message_status: "accepted" }],
      },
    };
  }

  /**
   * `POST /{phone_number_id}/media`: Meta's upload API, a multipart form of messaging_product,
   * type and file. The file is kept under the media id the answer gives.
   */
  async function mediaUpload(req, phoneNumberId, bytes) {
    const expected = tokens.get(phoneNumberId);
    if (!expected) return metaError(400, 100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`);
    if (req.headers.authorization !== `Bearer ${expected}`) return metaError(401, 190, "Invalid OAuth access token");
    let form;
    try {
      form = await new Request("http://graph/upload", { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body: bytes }).formData();
    } catch {
      return metaError(400, 100, "(#100) The parameter file is required.");
    }
    const file = form.get("file");
    if (form.get("messaging_product") !== "whatsapp") return metaError(400, 100, "(#100) The parameter messaging_product is required.");
    if (!file || typeof file === "string") return metaError(400, 100, "(#100) The parameter file is required.");
    if (!form.get("type")) return metaError(400, 100, "(#100) The parameter type is required.");
    const id = String(4_000_000_000 + uploads.size);
    uploads.set(id, { bytes: Buffer.from(await file.arrayBuffer()), type: form.get("type"), fileType: file.type, filename: file.name, phoneNumberId });
    return { status: 200, body: { id } };
  }

  /** `GET /{waba_id}/message_templates`: the account's templates, every status, as Meta lists them. */
  function templateList(req, accountId) {
    const account = accounts.get(accountId);
    if (!account) return metaError(400, 100, `Unsupported get request. Object with ID '${accountId}' does not exist`);
    if (req.headers.authorization !== `Bearer ${account.token}`) return metaError(401, 190, "Invalid OAuth access token");
    const data = account.templates.map((t, i) => ({ id: String(5_000_000 + i), status: "APPROVED", category: "UTILITY", components: [], ...t }));
    return { status: 200, body: { data, paging: { cursors: { before: "QVFIUmFi", after: "QVFIUmJj" } } } };
  }

  /** `GET /{media_id}`: where the bytes are now, for the media's own token only. */
  function mediaLookup(req, mediaId) {
    const entry = mediaFiles.get(mediaId);
    if (!entry) return metaError(400, 100, `Unsupported get request. Object with ID '${mediaId}' does not exist`);
    if (req.headers.authorization !== `Bearer ${entry.token}`) return metaError(401, 190, "Invalid OAuth access token");
    const url = entry.urls.length > 1 ? entry.urls.shift() : entry.urls[0];
    return {
      status: 200,
      body: { messaging_product: "whatsapp", url, mime_type: entry.mimeType, sha256: entry.sha256, file_size: entry.size, id: mediaId },
    };
  }

  function followWithStatuses(phoneNumberId, wamid, to) {
    const follower = followers.get(phoneNumberId);
    if (!follower) return;
    ["sent", "delivered", "read"].forEach((status, i) => {
      setTimeout(() => {
        const raw = JSON.stringify(metaStatus({ id: wamid, status, recipient: to, phoneNumberId }));
        const signature = `sha256=${createHmac("sha256", follower.appSecret).update(raw).digest("hex")}`;
        fetch(follower.webhookUrl, {
          method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": signature }, body: raw,
        }).catch(() => {});
      }, 400 * (i + 1));
    });
  }

  function scripted(key) {
    const queue = scripts.get(key);
    if (!queue?.length) return null;
    return queue.shift();
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", async () => {
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString();
      const upload = req.method === "POST" && req.url.match(new RegExp(`^/${GRAPH_VERSION}/([^/?]+)/media$`));
      const { status, body, headers = {}, delayMs = 0 } = upload ? await mediaUpload(req, upload[1], bytes) : answer(req, raw);
      let parsed = null;
      try {
        parsed = JSON.parse(raw);
      } catch {}
      log.record({ method: req.method, path: req.url, authorization: req.headers.authorization, body: parsed, status, at: Date.now(), atPerf: performance.now() });
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
  const bound = server.address().port;
  return {
    baseUrl: `http://127.0.0.1:${bound}/${GRAPH_VERSION}`,
    calls,
    /** Files uploaded through `POST /{phone_number_id}/media`, by the id Meta answered. */
    uploads,
    /** Accept `token` for this phone number id. */
    register(phoneNumberId, token) {
      tokens.set(phoneNumberId, token);
    },
    /** After each accepted send, post sent, delivered and read to the channel's webhook. */
    followWithStatuses(phoneNumberId, webhookUrl, appSecret) {
      followers.set(phoneNumberId, { webhookUrl, appSecret });
    },
    /** The next answers for sends to `to` (or read receipts of a wamid), before success resumes. */
    script(to, ...responses) {
      scripts.set(to, [...(scripts.get(to) ?? []), ...responses]);
    },
    /**
     * A media object `GET /{mediaId}` describes: each lookup hands out the next of `urls` (the
     * last one repeats), as Meta hands out a fresh short-lived link each time.
     */
    registerMedia(mediaId, { urls, mimeType, sha256, size, token }) {
      mediaFiles.set(mediaId, { urls: [...urls], mimeType, sha256, size, token });
    },
    /** The templates of business account `accountId`, listed for `token`. */
    registerTemplates(accountId, token, templates) {
      accounts.set(accountId, { token, templates });
    },
    /** Meta's canonical id for a number, e.g. a Brazilian mobile without its ninth digit. */
    waIdFor(to, waId) {
      waIds.set(to, waId);
    },
    callsTo(to) {
      return calls.filter((c) => c.body?.to === to);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  rateLimited: (retryAfter = "1") => ({
    ...metaError(429, 130429, "(#130429) Rate limit hit", { error_data: { details: "Cloud API message throughput has been reached." } }),
    headers: { "retry-after": retryAfter },
  }),
  serverError: () => ({ status: 500, body: "<html><body>Internal Server Error</body></html>" }),
  reengagement: () => metaError(400, 131047, "Re-engagement message", {
    error_data: { details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number." },
  }),
  /** Accepts the message, but answers only after `ms`: slower than the sender waits. */
  slow: (ms) => ({ delayMs: ms }),
  forbidden: () => metaError(403, 10, "(#10) Application does not have permission for this action"),
  badToken: () => metaError(401, 190, "Error validating access token: Session has expired on Sunday, 22-Nov-26.", { error_subcode: 463 }),
};
