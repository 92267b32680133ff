// A local stand-in for Meta's Messenger Platform on 127.0.0.1: the Send API
// (`POST /{version}/{page_id}/messages`) checked as Meta checks it (the page's bearer token, a
// recipient, a documented message, attachment or sender action), answered
// `{"recipient_id","message_id"}` or in Graph's error envelope; and the platform's webhooks, built
// and signed with the app secret (`X-Hub-Signature-256`) as Meta posts them. Tests script failures
// per recipient, and can have the page's own sends echoed back before or after the answer.
// Formats: https://developers.facebook.com/docs/messenger-platform/reference/send-api/ and the
// webhook events reference.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { callLog } from "./call-log.mjs";

export const GRAPH_VERSION = "v23.0";
const ATTACHMENT_TYPES = ["image", "audio", "video", "file"];
const MESSAGING_TYPES = ["RESPONSE", "UPDATE", "MESSAGE_TAG"];

const graphError = (status, code, message, subcode) => ({
  status,
  body: { error: { message, type: "OAuthException", code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: "AbCdEfGhIjK" } },
});

export const answers = {
  /** Graph's application-level throttling: code 613, answered 400 as Meta does. */
  rateLimited: () => graphError(400, 613, "(#613) Calls to this api have exceeded the rate limit."),
  serverError: () => graphError(500, 2, "An unexpected error has occurred. Please retry your request later."),
  /** The 24-hour standard messaging window has closed. */
  outsideWindow: () => graphError(400, 10, "(#10) This message is sent outside of allowed window.", 2018278),
};

export function signMessenger(appSecret, raw) {
  return `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`;
}

/** A webhook body: `object` `page` or `instagram`, one entry for `account` with `events`. */
export function messengerWebhook({ object = "page", account, events, time = Date.now() }) {
  return { object, entry: [{ id: String(account), time, messaging: events }] };
}

/** A message from `from` to the page `to`. */
export function textEvent({ from, to, mid, text, timestamp = Date.now(), replyTo }) {
  return {
    sender: { id: String(from) }, recipient: { id: String(to) }, timestamp,
    message: { mid, text, ...(replyTo ? { reply_to: { mid: replyTo } } : {}) },
  };
}

/** The page's own message to `to` echoed back: sender and recipient swapped. */
export function echoEvent({ page, to, mid, text, timestamp = Date.now() }) {
  return {
    sender: { id: String(page) }, recipient: { id: String(to) }, timestamp,
    message: { mid, is_echo: true, app_id: 1517776481860111, text },
  };
}

export function deliveryEvent({ from, page, mids, watermark }) {
  return { sender: { id: String(from) }, recipient: { id: String(page) }, delivery: { ...(mids ? { mids } : {}), watermark } };
}

export function readEvent({ from, page, watermark, timestamp = Date.now() }) {
  return { sender: { id: String(from) }, recipient: { id: String(page) }, timestamp, read: { watermark } };
}

export function editEvent({ from, page, mid, text, numEdit = 1, timestamp = Date.now() }) {
  return { sender: { id: String(from) }, recipient: { id: String(page) }, timestamp, message_edit: { mid, text, num_edit: numEdit } };
}

/** POSTs `body` to a webhook URL signed with `appSecret`, as Meta does. */
export async function postSigned(url, appSecret, body) {
  const raw = JSON.stringify(body);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signMessenger(appSecret, raw) },
    body: raw,
  });
  return { status: res.status, text: await res.text() };
}

export async function startMessenger({ port = 0 } = {}) {
  const tokens = new Map(); // page id → page access token
  const scripts = new Map(); // recipient id → [answer, …] before success resumes
  const followers = new Map(); // page id → { webhookUrl, appSecret, echoFirst }
  const log = callLog("messenger emulator");
  const { calls } = log;
  let counter = 0;

  function check(req, raw) {
    const match = req.url.match(new RegExp(`^/${GRAPH_VERSION}/([^/?]+)/messages$`));
    if (req.method !== "POST" || !match) return { refused: graphError(400, 100, "Unsupported request") };
    const pageId = match[1];
    const expected = tokens.get(pageId);
    if (!expected) return { refused: graphError(400, 100, `Unsupported post request. Object with ID '${pageId}' does not exist`) };
    if (req.headers.authorization !== `Bearer ${expected}`) {
      return { refused: graphError(401, 190, "Invalid OAuth access token - Cannot parse access token") };
    }
    if (!String(req.headers["content-type"]).startsWith("application/json")) return { refused: graphError(400, 100, "(#100) Invalid content type") };
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return { refused: graphError(400, 100, "(#100) Invalid JSON") };
    }
    const to = body?.recipient?.id;
    if (typeof to !== "string" || !/^\d+$/.test(to)) return { refused: graphError(400, 100, "(#100) The parameter recipient is required") };
    if (body.sender_action) {
      const action = body.sender_action;
      if (action === "mark_seen" || action === "typing_on" || action === "typing_off") return { pageId, to, action };
      if ((action === "react" || action === "unreact") && typeof body.payload?.message_id === "string" && body.payload.message_id) {
        if (action === "react" && typeof body.payload.reaction !== "string") return { refused: graphError(400, 100, "(#100) reaction is required") };
        return { pageId, to, action };
      }
      return { refused: graphError(400, 100, "(#100) Param sender_action must be a valid action") };
    }
    if (!MESSAGING_TYPES.includes(body.messaging_type)) return { refused: graphError(400, 100, "(#100) messaging_type is required") };
    const m = body.message ?? {};
    const hasText = typeof m.text === "string" && m.text.length > 0;
    const a = m.attachment;
    const hasAttachment = a && ATTACHMENT_TYPES.includes(a.type) && typeof a.payload?.url === "string";
    if (hasText === Boolean(a) || (a && !hasAttachment)) return { refused: graphError(400, 100, "(#100) Param message must be text or an attachment") };
    if (body.reply_to !== undefined && typeof body.reply_to?.mid !== "string") return { refused: graphError(400, 100, "(#100) reply_to must name a mid") };
    return { pageId, to, text: hasText ? m.text : undefined };
  }

  async function echo(follower, checked, mid) {
    const event = echoEvent({ page: checked.pageId, to: checked.to, mid, text: checked.text });
    await postSigned(follower.webhookUrl, follower.appSecret, messengerWebhook({ account: checked.pageId, events: [event] }));
  }

  async function answer(req, raw) {
    const checked = check(req, raw);
    if (checked.refused) return checked.refused;
    const scripted = scripts.get(checked.to)?.shift();
    if (scripted) return scripted;
    if (checked.action) return { status: 200, body: { recipient_id: checked.to } };
    counter += 1;
    const mid = `m_EMU${String(counter).padStart(6, "0")}${Math.random().toString(36).slice(2, 10)}`;
    const follower = followers.get(checked.pageId);
    if (follower?.echoFirst) await echo(follower, checked, mid);
    else if (follower) setTimeout(() => echo(follower, checked, mid).catch(() => {}), 50);
    return { status: 200, body: { recipient_id: checked.to, message_id: mid } };
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", async () => {
      const { status, body } = await answer(req, raw);
      let parsed = null;
      try {
        parsed = JSON.parse(raw);
      } catch {}
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, body: parsed, status, answer: body, at: Date.now() });
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    /** What a channel's `graph_base_url` is set to. */
    baseUrl: `${origin}/${GRAPH_VERSION}`,
    calls,
    /** Accepts sends for `pageId` with `token`. */
    page(pageId, token) {
      tokens.set(String(pageId), token);
    },
    /** The next answers for sends to `recipientId`, before success resumes. */
    script(recipientId, ...scripted) {
      const key = String(recipientId);
      scripts.set(key, [...(scripts.get(key) ?? []), ...scripted]);
    },
    /** Echo each accepted send of `pageId` to its webhook: before answering it with `echoFirst`. `null` stops. */
    follow(pageId, follower) {
      if (follower) followers.set(String(pageId), follower);
      else followers.delete(String(pageId));
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
