// One message as a bubble: its content by type, its media from Ponte's own URLs, its quote, its
// reactions and, for ours, its ticks or the provider's reason for failing.
import { h } from "./dom.js";
import { bytes, clock, formatPhone, ticks } from "./format.js";

/** The bubble for `m`; `thread` answers lookups (quoted message, reactions) and actions. */
export function bubble(m, thread) {
  const edit = thread.editOf(m);
  const shown = edit?.content?.content ? { ...m, type: edit.content.content.type, content: edit.content.content, text: null } : m;
  const deleted = thread.deletedAt(m);
  const classes = ["message", m.direction, deleted ? "deleted" : "", m.status === "failed" || m.status === "unknown" ? "failed" : "", edit ? "edited" : ""];
  // Focusable, so that a keyboard reaches its reply and react buttons (shown on focus).
  return h("li", { class: classes.filter(Boolean).join(" "), tabindex: 0, dataset: { id: m.id, status: m.status ?? "" } },
    m.sender ? h("span", { class: "sender" }, m.sender.name || formatPhone(m.sender.phone)) : null,
    quote(m, thread),
    deleted ? h("em", { class: "deleted-note" }, "This message was deleted") : null,
    body(shown, thread),
    reactions(thread.reactionsOf(m)),
    h("span", { class: "meta" },
      edit ? h("span", { class: "edited-note", title: `Edited at ${clock(edit.timestamp)}` }, "edited") : null,
      m.from_blocked_contact ? h("span", { class: "blocked-note", title: "Sent while the contact was blocked" }, "blocked") : null,
      h("time", { datetime: new Date(m.timestamp).toISOString() }, clock(m.timestamp)),
      m.direction === "outbound" ? tick(m) : null),
    m.status === "failed" || m.status === "unknown" ? failure(m, thread) : null,
    h("span", { class: "actions" },
      h("button", { type: "button", class: "reply", "aria-label": "Reply", onclick: () => thread.replyTo(m) }, "↩"),
      h("button", { type: "button", class: "react", "aria-label": "React", onclick: (e) => thread.pickReaction(m, e.currentTarget) }, "☺")));
}

function tick(m) {
  const [mark, label] = ticks(m.status);
  return h("span", { class: `ticks ${m.status ?? ""}`, title: label, "aria-label": label }, mark);
}

/** A refused send, or one the provider may or may not have taken: the agent decides to resend. */
function failure(m, thread) {
  const reason = m.error ? `${m.error.title}${m.error.code ? ` (${m.error.code})` : ""}` : "the provider refused it";
  const unknown = m.status === "unknown";
  return h("span", { class: "failure" },
    h("span", { class: "reason" }, unknown ? `Maybe not sent: ${reason}` : `Not sent: ${reason}`),
    h("button", { type: "button", class: "retry", onclick: () => thread.resend(m) }, unknown ? "Send again" : "Retry"));
}

function quote(m, thread) {
  const quotedId = m.context?.message_id;
  if (!quotedId) return null;
  const quoted = thread.find(quotedId);
  return h("blockquote", { class: "quote" }, quoted ? quoted.preview || quoted.text || `[${quoted.type}]` : "An earlier message");
}

function reactions(list) {
  if (!list.length) return null;
  return h("span", { class: "reactions", "aria-label": "Reactions" }, list.map((r) => h("span", { class: "reaction" }, r)));
}

function body(m, thread) {
  const c = m.content ?? {};
  switch (m.type) {
    case "text":
      return h("p", { class: "text" }, c.body ?? m.text ?? "");
    case "image":
    case "sticker":
    case "audio":
    case "video":
    case "document":
      return [media(m, c, thread), c.caption ? h("p", { class: "text" }, c.caption) : null];
    case "location": {
      const map = `https://www.openstreetmap.org/?mlat=${c.latitude}&mlon=${c.longitude}#map=17/${c.latitude}/${c.longitude}`;
      return h("p", { class: "location" }, "📍 ",
        h("a", { href: map, target: "_blank", rel: "noopener noreferrer" }, c.name || c.address || `${c.latitude}, ${c.longitude}`),
        c.name && c.address ? h("span", { class: "muted" }, ` ${c.address}`) : null);
    }
    case "contacts":
      return h("div", { class: "cards" }, (c.contacts ?? []).map(card));
    case "template":
      return h("p", { class: "text template" }, `Template “${c.name}” (${c.language?.code ?? c.language})`);
    case "reaction":
      return h("p", { class: "text muted" }, c.emoji ? `Reacted ${c.emoji}` : "Removed a reaction");
    default:
      return h("p", { class: "text muted" }, m.text || m.preview || `[${m.type}]`);
  }
}

function card(contact) {
  const name = contact?.name?.formatted_name ?? contact?.name ?? contact?.displayName ?? "Contact";
  const phones = (contact?.phones ?? []).map((p) => p.phone ?? p.wa_id).filter(Boolean);
  return h("div", { class: "card contact-card" }, h("strong", {}, typeof name === "string" ? name : "Contact"),
    phones.map((p) => h("span", { class: "muted" }, p)));
}

/** Ponte's copy of the file: a placeholder while it is copied, a retry when that failed. */
function media(m, c, thread) {
  const attachment = m.media;
  if (!attachment) {
    // Ours, sent by link: the link is what we have.
    return c.url ? h("a", { href: c.url, target: "_blank", rel: "noopener noreferrer" }, c.filename || `[${m.type}]`) : h("p", { class: "muted" }, `[${m.type}]`);
  }
  if (attachment.status === "pending") return h("div", { class: "media-pending", role: "status" }, `Fetching the ${m.type}…`);
  if (attachment.status === "failed") {
    return h("div", { class: "media-failed" }, h("span", {}, `The ${m.type} could not be copied: ${attachment.error ?? "unknown reason"}`),
      h("button", { type: "button", class: "media-retry", onclick: () => thread.retryMedia(m) }, "Try again"));
  }
  const url = attachment.url;
  switch (m.type) {
    case "image":
      return h("a", { href: url, target: "_blank", rel: "noopener" }, h("img", { class: "image", src: url, alt: c.caption || "Image", loading: "lazy" }));
    case "sticker":
      return h("img", { class: "sticker", src: url, alt: "Sticker", loading: "lazy" });
    case "audio":
      return h("audio", { class: "audio", controls: true, preload: "metadata", src: url });
    case "video":
      return h("video", { class: "video", controls: true, preload: "metadata", src: url });
    default:
      return h("a", { class: "document", href: url, download: attachment.filename || c.filename || "" },
        "📄 ", attachment.filename || c.filename || "Document", h("span", { class: "muted" }, ` ${bytes(attachment.size)}`));
  }
}
