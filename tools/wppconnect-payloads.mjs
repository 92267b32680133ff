// Builders for WPPConnect Server webhook bodies: `{event, session, ...}` with the event's object
// spread at the top level, in the shapes of tests/fixtures/wppconnect/. For tests that need many
// distinct messages and statuses rather than one fixture, and for the WPPConnect emulator's
// echoes and acks.
export const SESSION = "ponte-loja";
export const BUSINESS = "5511955550000";
/** WhatsApp Web's ack values (wppconnect `AckType`). */
export const ACKS = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3, played: 4 };

const seconds = (ms) => Math.floor(ms / 1000);
/** A stanza id like WhatsApp Web's own: `3EB0` and 16 hex digits. */
export const stanzaId = () =>
  `3EB0${Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16)).join("").toUpperCase()}`;

/** `5511…` → `5511…@c.us`; a JID is kept as it is. */
export const jid = (id) => (String(id).includes("@") ? String(id) : `${id}@c.us`);

/** The serialized id WPPConnect names a message by, and the object it was written from. */
export function messageKey({ fromMe, chat, id = stanzaId(), participant }) {
  const remote = jid(chat);
  const serialized = `${fromMe}_${remote}_${id}${participant ? `_${jid(participant)}` : ""}`;
  return { fromMe, remote, id, ...(participant ? { participant: jid(participant) } : {}), _serialized: serialized };
}

function contact(id, pushname, extra = {}) {
  return {
    id: jid(id), pushname, formattedName: pushname, isBusiness: false, isMe: false, isMyContact: false,
    isUser: true, isWAContact: true, profilePicThumbObj: { eurl: null }, ...extra,
  };
}

/** A message object as WPPConnect serializes it (no event or session). */
export function wppMessage({
  id, type = "chat", body, from, to, chatId, fromMe = false, name, ts = Date.now(), isGroupMsg = false,
  author, extra = {},
}) {
  const t = seconds(ts);
  return {
    id, ...(body === undefined ? {} : { body }), type, t, ...(name ? { notifyName: name } : {}),
    from: jid(from), to: jid(to), ...(author ? { author: jid(author) } : {}), self: fromMe ? "out" : "in", ack: 1,
    isNewMsg: true, star: false, mentionedJidList: [], isForwarded: false,
    sender: contact(author ?? from, name ?? "", fromMe ? { isMe: true } : {}),
    timestamp: t, content: type === "chat" ? body : "", isGroupMsg, isMedia: false, isMMS: false,
    isNotification: false, chatId: jid(chatId ?? (fromMe ? to : from)), fromMe, quotedMsgObj: null, ...extra,
  };
}

/** An inbound text (`onmessage`) from `from` (digits), with a distinct id unless given. */
export function wppText({ from = "5511987654321", name = "Ana Souza", id, body = "Oi", ts, session = SESSION } = {}) {
  const messageId = id ?? messageKey({ fromMe: false, chat: from })._serialized;
  return { event: "onmessage", session, ...wppMessage({ id: messageId, body, from, to: BUSINESS, name, ts }) };
}

/** An inbound text in a group, written by `author`. */
export function wppGroupText({
  group = "120363041234567890@g.us", author = "5511912345678", name = "Bruno", groupName = "Clientes VIP",
  id, body = "Oi, grupo", ts, session = SESSION,
} = {}) {
  const messageId = id ?? messageKey({ fromMe: false, chat: group, participant: author })._serialized;
  const message = wppMessage({ id: messageId, body, from: group, to: BUSINESS, name, ts, isGroupMsg: true, author });
  return { event: "onmessage", session, ...message, chat: { id: group, name: groupName, isGroup: true } };
}

/**
 * The business's own message (`onselfmessage`): sent from its phone, or the echo of an API send
 * under the id the send answered. `kind` is what was sent: chat, image, document, video, ptt,
 * location; `extra` adds its fields (caption, mimetype, lat, lng, …).
 */
export function wppEcho({ to = "5511987654321", id, type = "chat", body, ts, session = SESSION, extra = {} } = {}) {
  const key = id ? keyOf(id) : messageKey({ fromMe: true, chat: to });
  const message = wppMessage({ id: key, type, body, from: BUSINESS, to, fromMe: true, name: "Loja Ponte", ts, extra });
  return { event: "onselfmessage", session, ...message };
}

/** An ack for one of our messages: `status` is "sent", "delivered", "read", "played", "failed" or a number. */
export function wppAck({ id, status, to = "5511987654321", ts, session = SESSION }) {
  const ack = typeof status === "number" ? status : ACKS[status];
  if (ack === undefined) throw new Error(`unknown ack ${status}`);
  return {
    event: "onack", session, id: keyOf(id), body: "", type: "chat", t: seconds(ts ?? Date.now()),
    from: jid(BUSINESS), to: jid(to), self: "out", ack, isNewMsg: true, star: false,
  };
}

/** The session's login progress: "inChat", "notLogged", "browserClose", … */
export function wppStatusFind(status, session = SESSION) {
  return { event: "status-find", session, status };
}

/** A QR code to scan: the server posts the image base64 without its `data:` prefix. */
export function wppQrCode({ qrcode = QR_PNG, urlcode = "2@Wm0vR3kz7Qx1cP8eN4tLb6sY2fJ9hK5g,Qm9uX2Rl=,Vd3fG5hJ=", session = SESSION } = {}) {
  return { event: "qrcode", session, qrcode, urlcode };
}

/** A 1×1 PNG, base64. */
export const QR_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** A serialized id back into the object form onack and onselfmessage use. */
function keyOf(serialized) {
  const [fromMe, remote, id, participant] = String(serialized).split("_");
  return {
    fromMe: fromMe === "true", remote, id, ...(participant?.includes("@") ? { participant } : {}),
    _serialized: serialized,
  };
}
