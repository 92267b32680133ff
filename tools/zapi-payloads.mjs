// Builders for Z-API webhook bodies, in the shapes of tests/fixtures/zapi/ (written from
// https://developer.z-api.io/en/webhooks/): for tests that need many distinct messages and
// statuses, and for the Z-API emulator's echoes and status webhooks.
//
// Z-API has no QR-code webhook: a QR code only comes back from `GET …/qr-code/image` (the
// emulator answers it). Session changes arrive as ConnectedCallback / DisconnectedCallback.
import { randomBytes } from "node:crypto";

export const INSTANCE_ID = "3C67AB641C8AA0412F6A2242B4E23AC7";
export const CONNECTED_PHONE = "5511940001000";

/** A WhatsApp-style message id: 20 upper-case hex digits. */
export function zapiMessageId() {
  return `3EB0${randomBytes(8).toString("hex").toUpperCase()}`;
}

/** Z-API's names for Ponte's statuses (`delivered` is Z-API's RECEIVED). */
export const STATUS_NAMES = { sent: "SENT", delivered: "RECEIVED", read: "READ", played: "PLAYED" };

function received({ id, phone, fromMe, fromApi = false, ts, instanceId, chatLid = null, chatName, senderName, ...rest }) {
  return {
    isStatusReply: false,
    chatLid,
    senderLid: fromMe ? null : chatLid,
    connectedPhone: CONNECTED_PHONE,
    waitingMessage: false,
    isEdit: false,
    isGroup: String(phone).endsWith("-group"),
    isNewsletter: false,
    instanceId,
    messageId: id ?? zapiMessageId(),
    phone,
    fromMe,
    momment: ts,
    status: fromMe ? "SENT" : "RECEIVED",
    chatName,
    senderPhoto: null,
    senderName,
    participantPhone: null,
    participantLid: null,
    photo: null,
    broadcast: false,
    referenceMessageId: null,
    forwarded: false,
    fromApi,
    type: "ReceivedCallback",
    ...rest,
  };
}

/** An inbound text from `phone` (digits or `…@lid`), with a fresh message id unless given. */
export function zapiText({
  phone = "5511987654321", name = "Ana", id, text = "Oi", ts = Date.now(), instanceId = INSTANCE_ID,
  chatLid = null, referenceMessageId = null,
} = {}) {
  return received({
    id, phone, fromMe: false, ts, instanceId, chatLid, chatName: name, senderName: name, referenceMessageId,
    text: { message: text },
  });
}

/**
 * What the business sent, echoed back (`fromMe`). `content` is the message's content field
 * (e.g. `{ text: { message: "oi" } }`, see `echoContent`); `fromApi` tells a send through the
 * API from one typed on the phone.
 */
export function zapiEcho({
  phone = "5511987654321", id, content = { text: { message: "Oi" } }, ts = Date.now(), instanceId = INSTANCE_ID,
  fromApi = true, chatLid = null,
} = {}) {
  return received({
    id, phone, fromMe: true, fromApi, ts, instanceId, chatLid, chatName: null, senderName: "Loja Ponte", ...content,
  });
}

/** A text written by a group member. */
export function zapiGroupText({
  group = "120363019502650977-group", groupName = "Clientes VIP", participantPhone = "5521998765432",
  participantLid = "74829302918374@lid", senderName = "Beatriz", id, text = "Bom dia, grupo!", ts = Date.now(),
  instanceId = INSTANCE_ID,
} = {}) {
  return received({
    id, phone: group, fromMe: false, ts, instanceId, chatName: groupName, senderName, isGroup: true,
    senderLid: participantLid, participantPhone, participantLid, text: { message: text },
  });
}

/** A MessageStatusCallback; `status` is Z-API's (`READ`) or Ponte's (`read`) name. */
export function zapiStatus({ ids, id, status, phone = "5511987654321", ts = Date.now(), instanceId = INSTANCE_ID }) {
  return {
    status: STATUS_NAMES[status] ?? status,
    ids: ids ?? [id],
    momment: ts,
    phoneDevice: 0,
    phone,
    isGroup: false,
    type: "MessageStatusCallback",
    instanceId,
  };
}

/** The on-message-send webhook: the gateway's outcome of an API send, `error` when it failed. */
export function zapiDelivery({ id, phone = "5511987654321", error, ts = Date.now(), instanceId = INSTANCE_ID }) {
  const body = {
    phone, zaapId: randomBytes(16).toString("hex").toUpperCase(), messageId: id, momment: ts,
    type: "DeliveryCallback", instanceId,
  };
  if (error) body.error = error;
  return body;
}

export function zapiConnected({ instanceId = INSTANCE_ID, phone = CONNECTED_PHONE, ts = Date.now() } = {}) {
  return { type: "ConnectedCallback", connected: true, momment: ts, instanceId, phone };
}

export function zapiDisconnected({ instanceId = INSTANCE_ID, error = "Device has been disconnected", ts = Date.now() } = {}) {
  return { momment: Math.floor(ts / 1000), error, disconnected: true, type: "DisconnectedCallback", instanceId };
}

const mimeOf = (link, fallback) => {
  const extension = new URL(link, "http://x").pathname.split(".").pop()?.toLowerCase();
  const known = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", mp4: "video/mp4",
    ogg: "audio/ogg; codecs=opus", mp3: "audio/mpeg", pdf: "application/pdf" };
  return known[extension] ?? fallback;
};

/** The ReceivedCallback content field of a message sent with `endpoint` and `body`. */
export function echoContent(endpoint, body) {
  const [name, extension] = endpoint.split("/");
  switch (name) {
    case "send-text":
      return { text: { message: body.message } };
    case "send-image":
      return { image: { imageUrl: body.image, caption: body.caption ?? "", mimeType: mimeOf(body.image, "image/jpeg") } };
    case "send-audio":
      return { audio: { ptt: false, audioUrl: body.audio, mimeType: mimeOf(body.audio, "audio/mpeg") } };
    case "send-video":
      return { video: { videoUrl: body.video, caption: body.caption ?? "", mimeType: mimeOf(body.video, "video/mp4") } };
    case "send-document":
      return {
        document: {
          documentUrl: body.document, fileName: body.fileName ?? `document.${extension}`,
          mimeType: mimeOf(`f.${extension}`, "application/octet-stream"), title: body.fileName ?? "", caption: body.caption ?? null,
        },
      };
    case "send-sticker":
      return { sticker: { stickerUrl: body.sticker, mimeType: "image/webp" } };
    case "send-location":
      return { location: { latitude: Number(body.latitude), longitude: Number(body.longitude), name: body.title, address: body.address, url: "" } };
    case "send-reaction":
    case "send-remove-reaction":
      return {
        reaction: {
          value: body.reaction ?? "", time: Date.now(), reactionBy: CONNECTED_PHONE,
          referencedMessage: { messageId: body.messageId, fromMe: false, phone: body.phone, participant: null },
        },
      };
    default:
      return {};
  }
}
