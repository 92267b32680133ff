// Builders for Evolution API v2 webhook bodies, in the shapes of tests/fixtures/evolution/: for
// tests that need many distinct messages and statuses rather than one fixture, and for the
// Evolution emulator's echoes and status webhooks.
import { randomBytes } from "node:crypto";

export const INSTANCE = "loja-centro";
export const API_KEY = "B6D711FCDE4D4FD5936544120E713976";
export const INSTANCE_ID = "a7b3c1d2-4e5f-4a6b-8c9d-0e1f2a3b4c5d";
export const BUSINESS_JID = "5511940001000@s.whatsapp.net";

/** Ponte's status names → the `messages.update` status Evolution sends. */
export const STATUS_NAMES = { sent: "SERVER_ACK", delivered: "DELIVERY_ACK", read: "READ", played: "PLAYED", failed: "ERROR" };

const hex = (bytes) => randomBytes(bytes).toString("hex").toUpperCase();
/** A message id as WhatsApp Web writes them (`3EB0…`); the API's own sends use `BAE5…`. */
export const inboundId = () => `3EB0${hex(8)}`;
export const apiId = () => `BAE5${hex(6)}`;

const seconds = (ms) => Math.floor(ms / 1000);
/** Digits become a phone JID; a JID (`…@lid`, `…@g.us`) stays as it is. */
export const jidOf = (to) => (String(to).includes("@") ? String(to) : `${to}@s.whatsapp.net`);

/** The envelope every Evolution webhook has; `apikey` is the instance token (null when hidden). */
export function envelope(event, data, { instance = INSTANCE, apikey = API_KEY, serverUrl = "https://evo.example.com.br" } = {}) {
  return {
    event,
    instance,
    data,
    destination: "https://ponte.example.com/webhooks/evolution/whk_3f9a2c",
    date_time: new Date().toISOString(),
    sender: BUSINESS_JID,
    server_url: serverUrl,
    apikey,
  };
}

function record({ key, pushName, message, messageType, ts, status, source = "android" }) {
  return { key, pushName, status, message, messageType, messageTimestamp: seconds(ts), instanceId: INSTANCE_ID, source };
}

/**
 * An inbound text (`messages.upsert`, `message.conversation`) from `from` (digits), with a
 * distinct id unless given. `lid` makes the chat an `@lid` one, with `from` as its `remoteJidAlt`.
 */
export function evolutionText({ from = "5511987654321", name = "Giovanna Reis", id = inboundId(), body = "Oi", ts = Date.now(), lid, instance, apikey } = {}) {
  const key = lid
    ? { remoteJid: lid, fromMe: false, id, remoteJidAlt: jidOf(from), addressingMode: "lid" }
    : { remoteJid: jidOf(from), fromMe: false, id };
  const data = record({ key, pushName: name, message: { conversation: body }, messageType: "conversation", ts, status: "DELIVERY_ACK" });
  return envelope("messages.upsert", data, { instance, apikey });
}

/**
 * A message the business sent, as Evolution echoes it: `send.message` for the API's own sends,
 * `messages.upsert` with `fromMe` for one typed on the phone. `message` defaults to a text.
 */
export function evolutionEcho({ to = "5511987654321", id = apiId(), body = "Oi", message, messageType = "conversation", ts = Date.now(), event = "send.message", instance, apikey } = {}) {
  const data = record({
    key: { remoteJid: jidOf(to), fromMe: true, id },
    pushName: "Você",
    message: message ?? { conversation: body },
    messageType,
    ts,
    status: event === "send.message" ? "PENDING" : "SERVER_ACK",
    source: "unknown",
  });
  return envelope(event, data, { instance, apikey });
}

/** A delivery status (`sent`, `delivered`, `read`, `played`, `failed`, or Evolution's own name). */
export function evolutionStatus({ id, status, to = "5511987654321", fromMe = true, instance, apikey }) {
  const data = {
    messageId: `cm${hex(10).toLowerCase()}`,
    keyId: id,
    remoteJid: jidOf(to),
    fromMe,
    participant: null,
    status: STATUS_NAMES[status] ?? status,
    instanceId: INSTANCE_ID,
  };
  return envelope("messages.update", data, { instance, apikey });
}

/** A member's text in a group; `participant` may be an `@lid` with the phone as `participantAlt`. */
export function evolutionGroupText({ group = "120363041234567890@g.us", participant = "208115126378602@lid", participantAlt = "553198765432@s.whatsapp.net", name = "Carlos Mendes", id = inboundId(), body = "Bom dia, grupo!", ts = Date.now(), instance, apikey } = {}) {
  const key = { remoteJid: group, fromMe: false, id, participant, participantAlt, addressingMode: "lid" };
  const data = record({ key, pushName: name, message: { conversation: body }, messageType: "conversation", ts, status: "DELIVERY_ACK" });
  return envelope("messages.upsert", data, { instance, apikey });
}

/** A message deleted for everyone. */
export function evolutionDelete({ id, to = "5511987654321", fromMe = false, instance, apikey }) {
  return envelope("messages.delete", { remoteJid: jidOf(to), fromMe, id }, { instance, apikey });
}

/** The session's state: `open`, `connecting`, `close` or `refused`. */
export function evolutionConnection({ state = "open", instance = INSTANCE, apikey } = {}) {
  const data = { instance, state, statusReason: state === "open" ? 200 : 401 };
  if (state === "open") Object.assign(data, { wuid: BUSINESS_JID, profileName: "Loja Centro", profilePictureUrl: null });
  return envelope("connection.update", data, { instance, apikey });
}

// A 1×1 PNG: the emulator's QR codes need not scan.
export const QR_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** A fresh QR code to scan (`qrcode.updated`). */
export function evolutionQr({ code = `2@${randomBytes(24).toString("base64")},${randomBytes(32).toString("base64")}`, base64 = QR_IMAGE, instance = INSTANCE, apikey } = {}) {
  return envelope("qrcode.updated", { qrcode: { instance, pairingCode: null, code, base64 } }, { instance, apikey });
}
