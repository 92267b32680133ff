// A local stand-in for Twilio's Messages API on 127.0.0.1. It checks what Twilio checks (the
// account SID in the path and as the basic-auth user with its auth token, a form-encoded body
// with To, From and Body or MediaUrl, a WhatsApp sender writing to a WhatsApp recipient) and
// answers as Twilio does: 201 with the Message resource (`sid`, `status: "queued"`), or an error
// `{code, message, more_info, status}`. Tests script failures per recipient, and `follow` plays
// the carrier: the statuses of each accepted send are posted to its StatusCallback, signed with
// X-Twilio-Signature like Twilio's own.
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { callLog } from "./call-log.mjs";

export const ACCOUNT_SID = "ACf3a1b2c3d4e5f60718293a4b5c6d7e8f";
export const AUTH_TOKEN = "9f86d081884c7d659a2feaa0c55ad015";
const STATUS_SPACING_MS = 200;
const E164 = /^\+[1-9]\d{7,14}$/;

/** Twilio's signature: base64 HMAC-SHA1 of the URL followed by each sorted name and value. */
export function signTwilio(token, url, params) {
  const pairs = [...params].map(([k, v]) => [String(k), String(v)]);
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const data = url + pairs.filter((p, i) => i === 0 || p[0] !== pairs[i - 1][0] || p[1] !== pairs[i - 1][1]).map(([k, v]) => k + v).join("");
  return createHmac("sha1", token).update(Buffer.from(data, "utf8")).digest("base64");
}

const error = (status, code, message) => ({
  status,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});
const sid = (prefix) => `${prefix}${randomBytes(16).toString("hex")}`;

export async function startTwilio({ port = 0, accountSid = ACCOUNT_SID, authToken = AUTH_TOKEN } = {}) {
  const scripts = new Map(); // recipient (To) → [answer, …] before success resumes
  let follower = null; // { statuses }
  const media = new Map(); // path → where the file really is (Twilio redirects to its CDN)
  const log = callLog("twilio emulator");

  function check(req, raw) {
    const match = req.url.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/);
    if (!match) return { failure: error(404, 20404, "The requested resource was not found") };
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (match[1] !== accountSid || req.headers.authorization !== expected) return { failure: error(401, 20003, "Authenticate") };
    if (req.method !== "POST") return { failure: error(405, 20004, "Method not allowed") };
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
      return { failure: error(400, 21201, "No 'To' number is specified") };
    }
    const form = new URLSearchParams(raw);
    const to = form.get("To") ?? "";
    const from = form.get("From") ?? "";
    const whatsapp = from.startsWith("whatsapp:");
    if (!to) return { failure: error(400, 21604, "A 'To' phone number is required.") };
    if (!E164.test(whatsapp ? to.replace(/^whatsapp:/, "") : to) || whatsapp !== to.startsWith("whatsapp:")) {
      return { failure: error(400, 21211, `Invalid 'To' Phone Number: ${to}`) };
    }
    if (!form.get("Body") && !form.get("MediaUrl")) return { failure: error(400, 21602, "Message body is required.") };
    return { form, to, from };
  }

  /** `GET …/Messages/{MM}/Media/{ME}`: with the account's basic auth, a redirect to the file. */
  function mediaAnswer(req) {
    const location = media.get(req.url);
    if (!location) return null;
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return error(401, 20003, "Authenticate");
    return { status: 307, body: {}, headers: { location } };
  }

  function answer(req, raw) {
    const redirect = mediaAnswer(req);
    if (redirect) return redirect;
    const { failure, form, to, from } = check(req, raw);
    if (failure) return failure;
    const script = scripts.get(to)?.shift();
    if (script) return script;
    const messageSid = sid(form.getAll("MediaUrl").length ? "MM" : "SM");
    const callback = form.get("StatusCallback");
    if (follower && callback) {
      follower.statuses.forEach((status, i) =>
        setTimeout(() => postStatus(callback, { MessageSid: messageSid, SmsSid: messageSid, MessageStatus: status, SmsStatus: status, To: to, From: from, AccountSid: accountSid, ApiVersion: "2010-04-01" }), STATUS_SPACING_MS * (i + 1)));
    }
    return {
      status: 201,
      body: { sid: messageSid, account_sid: accountSid, to, from, body: form.get("Body") ?? "", status: "queued", num_media: String(form.getAll("MediaUrl").length), api_version: "2010-04-01", error_code: null, error_message: null },
    };
  }

  function postStatus(url, params) {
    const body = new URLSearchParams(params).toString();
    const signature = signTwilio(authToken, url, Object.entries(params));
    return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body })
      .then((res) => res.arrayBuffer())
      .catch(() => {});
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const { status, body, headers = {} } = answer(req, raw);
      log.record({ method: req.method, path: req.url, headers: { ...req.headers }, form: Object.fromEntries(new URLSearchParams(raw)), status, at: Date.now() });
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
    /** After each accepted send, post `statuses` to its StatusCallback, ~200 ms apart (null stops). */
    follow(statuses) {
      follower = statuses ? { statuses } : null;
    },
    /** A `MediaUrl` on this account that redirects, with basic auth, to `location`. */
    putMedia(location) {
      const path = `/2010-04-01/Accounts/${accountSid}/Messages/${sid("MM")}/Media/${sid("ME")}`;
      media.set(path, location);
      return `http://127.0.0.1:${server.address().port}${path}`;
    },
    /** The next answers for sends to `to`, before success resumes. */
    script(to, ...answers) {
      scripts.set(to, [...(scripts.get(to) ?? []), ...answers]);
    },
    waitFor: log.waitFor,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

export const answers = {
  serverError: () => error(500, 20500, "Internal Server Error"),
  rateLimited: (retryAfter = "1") => ({ ...error(429, 20429, "Too Many Requests"), headers: { "retry-after": retryAfter } }),
  unsubscribed: () => error(400, 21610, "Attempt to send to unsubscribed recipient"),
};
