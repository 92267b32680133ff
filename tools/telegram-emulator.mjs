// A local stand-in for the Telegram Bot API on 127.0.0.1: `POST /bot{token}/{method}` with a JSON
// body, checked as Telegram checks it (a known token, the fields each method requires), answered
// `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…}` as the Bot API
// documents (https://core.telegram.org/bots/api#making-requests). Tests script failures per chat.
import { createServer } from "node:http";
import { callLog } from "./call-log.mjs";

export const BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

// The fields each method requires besides `chat_id`, and their JSON types.
const REQUIRED = {
  sendMessage: { text: "string" },
  sendPhoto: { photo: "string" },
  sendDocument: { document: "string" },
  sendAudio: { audio: "string" },
  sendVideo: { video: "string" },
  sendVoice: { voice: "string" },
  sendSticker: { sticker: "string" },
  sendLocation: { latitude: "number", longitude: "number" },
  setMessageReaction: { message_id: "number", reaction: "object" },
};

const failure = (status, description, parameters) => ({
  status,
  body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
});

export async function startTelegram({ port = 0, token = BOT_TOKEN } = {}) {
  const scripts = new Map(); // chat id → [answer, …] before success resumes
  const log = callLog("telegram emulator");
  const { calls } = log;
  let nextMessageId = 1000;
  let webhook = null;
  const files = new Map(); // file_id → { path, bytes, type }

  /** `GET /file/bot{token}/{file_path}`: the bytes `getFile` pointed at. */
  function download(req) {
    const match = req.url.match(/^\/file\/bot([^/]+)\/(.+)$/);
    if (!match) return null;
    const file = [...files.values()].find((f) => f.path === decodeURIComponent(match[2]));
    if (match[1] !== token || !file) return { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } };
    return { status: 200, raw: file.bytes, type: file.type };
  }

  /** `getFile`, which Telegram also takes as a GET with `?file_id=`. */
  function getFile(fileId) {
    const file = files.get(fileId);
    if (!file) return failure(400, "Bad Request: invalid file_id");
    return { status: 200, body: { ok: true, result: { file_id: fileId, file_unique_id: `u${fileId.slice(0, 8)}`, file_size: file.bytes.length, file_path: file.path } } };
  }

  function answer(req, raw) {
    const url = new URL(req.url, "http://emulator");
    if (url.pathname === `/bot${token}/getFile` && req.method === "GET") return getFile(url.searchParams.get("file_id") ?? "");
    const match = req.url.match(/^\/bot([^/]+)\/([A-Za-z]+)$/);
    if (!match) return failure(404, "Not Found");
    const [, given, method] = match;
    if (given !== token) return failure(401, "Unauthorized");
    if (req.method !== "POST") return failure(405, "Method Not Allowed");
    if (!String(req.headers["content-type"]).startsWith("application/json")) {
      return failure(400, "Bad Request: unsupported content type");
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return failure(400, "Bad Request: can't parse JSON");
    }
    if (method === "getFile") return getFile(String(body.file_id ?? ""));
    if (method === "setWebhook") {
      if (typeof body.url !== "string" || !body.url.startsWith("http")) return failure(400, "Bad Request: bad webhook: invalid URL");
      webhook = { url: body.url, secret: body.secret_token, allowedUpdates: body.allowed_updates };
      return { status: 200, body: { ok: true, result: true, description: "Webhook was set" } };
    }
    const required = REQUIRED[method];
    if (!required) return failure(404, "Not Found: method not found");
    if (typeof body.chat_id !== "number" && typeof body.chat_id !== "string") return failure(400, "Bad Request: chat_id is empty");
    for (const [field, type] of Object.entries(required)) {
      if (typeof body[field] !== type) return failure(400, `Bad Request: ${field} is empty`);
    }
    const scripted = scripts.get(String(body.chat_id))?.shift();
    if (scripted) return scripted;
    if (method === "setMessageReaction") return { status: 200, body: { ok: true, result: true } };
    const message = { message_id: ++nextMessageId, chat: { id: body.chat_id, type: "private" }, date: Math.floor(Date.now() / 1000) };
    return { status: 200, body: { ok: true, result: message } };
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const file = download(req);
      if (file?.raw) {
        log.record({ method: req.method, path: req.url, headers: { ...req.headers }, status: 200, at: Date.now() });
        return res.writeHead(200, { "content-type": file.type, "content-length": String(file.raw.length) }).end(file.raw);
      }
      const { status, body } = file ?? answer(req, raw);
      let parsed = null;
      try {
        parsed = JSON.parse(raw);
      } catch {}
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, body: parsed, status, at: Date.now() });
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    calls,
    /** Keeps `bytes` as the file `fileId`, for `getFile` and its download; returns its path. */
    putFile(fileId, bytes, type, path = `photos/file_${files.size}.jpg`) {
      files.set(fileId, { path, bytes: Buffer.from(bytes), type });
      return path;
    },
    /** What the last `setWebhook` registered: `{url, secret, allowedUpdates}`. */
    webhook: () => webhook,
    /** The next answers for calls to `chatId`, before success resumes. */
    script(chatId, ...answers) {
      scripts.set(String(chatId), [...(scripts.get(String(chatId)) ?? []), ...answers]);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  rateLimited: (retryAfter = 1) => failure(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter }),
  blocked: () => failure(403, "Forbidden: bot was blocked by the user"),
  serverError: () => failure(502, "Bad Gateway"),
};

/** An update as Telegram posts it: a private-chat `message` from user `from`. */
export function telegramText({ from, messageId, text, date = Math.floor(Date.now() / 1000), updateId = messageId }) {
  const user = { id: from, is_bot: false, first_name: "Ana", username: `ana${from}` };
  return {
    update_id: updateId,
    message: { message_id: messageId, from: user, chat: { id: from, type: "private", first_name: "Ana", username: user.username }, date, text },
  };
}
