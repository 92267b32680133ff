// The open conversation: its messages in order with day separators, older ones loaded on
// scroll, every change applied live; and what an agent does to a message (reply, react, retry).
import { $, h, show } from "./dom.js";
import { contactName, dayKey, dayLabel, formatPhone, provider } from "./format.js";
import { bubble } from "./message.js";

const PAGE = 40;
const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export class Thread {
  constructor(session, { channels, onConversation, composer }) {
    this.session = session;
    this.channels = channels;
    this.onConversation = onConversation;
    this.composer = composer;
    this.conversation = null;
    this.messages = new Map(); // id → message
    this.cursor = null;
    this.el = $("#messages");
    this.el.addEventListener("scroll", () => {
      if (this.el.scrollTop < 60) this.older();
    });
    $("#toggle-status").addEventListener("click", () => this.toggleStatus());
  }

  async open(id) {
    const conversation = await this.session.api("GET", `/v1/conversations/${id}`);
    this.conversation = conversation;
    this.messages.clear();
    this.cursor = null;
    this.done = false;
    // The composer is bound before it shows: what is typed at once goes to this conversation.
    this.composer.open(conversation, this.channels.get(conversation.channel_id));
    this.header();
    this.render();
    show($("#no-thread"), false);
    show($("#thread"), true);
    await this.older();
    this.el.scrollTop = this.el.scrollHeight;
    if (conversation.unread_count > 0) {
      const read = await this.session.api("POST", `/v1/conversations/${id}/read`).catch(() => null);
      if (read?.id) this.setConversation(read);
    }
  }

  close() {
    this.conversation = null;
    show($("#thread"), false);
    show($("#no-thread"), true);
  }

  header() {
    const c = this.conversation;
    const channel = this.channels.get(c.channel_id);
    $("#thread-name").textContent = contactName(c.contact);
    $("#thread-sub").textContent = ` ${c.contact.name ? formatPhone(c.contact.phone) : ""} · ${provider(channel?.provider).label}${channel ? `: ${channel.name}` : ""}`;
    $("#toggle-status").textContent = c.status === "resolved" ? "Reopen" : "Resolve";
  }

  setConversation(conversation) {
    if (conversation.id !== this.conversation?.id) return;
    this.conversation = conversation;
    this.header();
    this.composer.update(conversation);
    this.onConversation(conversation);
  }

  async toggleStatus() {
    const status = this.conversation.status === "resolved" ? "open" : "resolved";
    const updated = await this.session.api("PATCH", `/v1/conversations/${this.conversation.id}`, { status });
    this.setConversation(updated);
  }

  /** The page before the oldest message shown. */
  async older() {
    if (!this.conversation || this.loading || this.done) return;
    this.loading = true;
    const id = this.conversation.id;
    try {
      const query = new URLSearchParams({ order: "desc", limit: String(PAGE) });
      if (this.cursor) query.set("cursor", this.cursor);
      const page = await this.session.api("GET", `/v1/conversations/${id}/messages?${query}`);
      if (this.conversation?.id !== id) return;
      for (const m of page.data) this.messages.set(m.id, m);
      this.cursor = page.next_cursor;
      this.done = !page.next_cursor;
      const fromBottom = this.el.scrollHeight - this.el.scrollTop;
      this.render();
      this.el.scrollTop = this.el.scrollHeight - fromBottom;
    } finally {
      this.loading = false;
    }
  }

  /** Everything again, after the socket may have missed events. */
  async refresh() {
    if (!this.conversation) return;
    const id = this.conversation.id;
    const [conversation, page] = await Promise.all([
      this.session.api("GET", `/v1/conversations/${id}`),
      this.session.api("GET", `/v1/conversations/${id}/messages?order=desc&limit=${PAGE}`),
    ]);
    if (this.conversation?.id !== id) return;
    for (const m of page.data) this.messages.set(m.id, m);
    this.setConversation(conversation);
    this.render(true);
  }

  /** A message created or changed, from the socket or an answer. */
  upsert(message) {
    if (message.conversation_id !== this.conversation?.id) return;
    // The socket can bring our own send before its answer does: it takes the place of the copy
    // shown as queued, so the message is never on screen twice.
    if (!message.local && message.direction === "outbound" && !this.messages.has(message.id)) {
      const shown = [...this.messages.values()].find((m) => m.local && m.type === message.type && m.text === message.text);
      if (shown) this.messages.delete(shown.id);
    }
    this.messages.set(message.id, message);
    this.render(true);
  }

  remove(id) {
    this.messages.delete(id);
    this.render();
  }

  ordered() {
    return [...this.messages.values()].sort((a, b) => a.timestamp - b.timestamp || (a.received_at ?? 0) - (b.received_at ?? 0));
  }

  find(id) {
    for (const m of this.messages.values()) if (m.id === id || m.provider_message_id === id) return m;
    return null;
  }

  /** Whether `r` refers to `m`, by our id or the provider's. */
  static targets(id, m) {
    return Boolean(id) && (id === m.id || id === m.provider_message_id);
  }

  /** The newest edit of `m`, if its author edited it: a message of type `edit` naming it. */
  editOf(m) {
    let latest = null;
    for (const e of this.messages.values()) {
      if (e.type === "edit" && Thread.targets(e.content?.original_message_id, m) && (!latest || e.timestamp >= latest.timestamp)) latest = e;
    }
    return latest;
  }

  /** When `m` was deleted for everyone: marked on it (gateways), or a `revoke` naming it (Meta). */
  deletedAt(m) {
    if (m.deleted_at) return m.deleted_at;
    for (const r of this.messages.values()) {
      if (r.type === "revoke" && Thread.targets(r.content?.original_message_id, m)) return r.timestamp;
    }
    return null;
  }

  /** The latest emoji of each reactor to `m` (a removal clears theirs). */
  reactionsOf(m) {
    const latest = new Map();
    for (const r of this.ordered()) {
      if (r.type !== "reaction") continue;
      if (!Thread.targets(r.content?.message_id, m)) continue;
      latest.set(r.direction === "outbound" ? "us" : r.sender?.id ?? "them", r.content?.emoji ?? null);
    }
    return [...latest.values()].filter(Boolean);
  }

  render(stickToBottom = false) {
    const atBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 80;
    const items = [];
    let day = null;
    for (const m of this.ordered()) {
      // Reactions show under their message, edits in place of its text, deletions on it.
      if (m.type === "reaction" || m.type === "edit" || m.type === "revoke") continue;
      if (dayKey(m.timestamp) !== day) {
        day = dayKey(m.timestamp);
        items.push(h("li", { class: "day", role: "separator" }, dayLabel(m.timestamp)));
      }
      items.push(bubble(m, this));
    }
    // An open reaction picker survives a re-render (another message's status arriving, say):
    // it moves to its message's new bubble, keeping focus, instead of closing under the pointer.
    const picker = this.el.querySelector(".emoji-picker");
    const pickingFor = picker?.closest(".message")?.dataset.id;
    const hadFocus = picker?.contains(document.activeElement);
    this.el.replaceChildren(...items);
    const bubbleNow = pickingFor && [...this.el.querySelectorAll(".message")].find((b) => b.dataset.id === pickingFor);
    if (bubbleNow) {
      bubbleNow.append(picker);
      if (hadFocus) picker.querySelector("button")?.focus();
    }
    if (stickToBottom && atBottom) this.el.scrollTop = this.el.scrollHeight;
  }

  replyTo(m) {
    this.composer.replyTo(m);
  }

  pickReaction(m, anchor) {
    document.querySelector(".emoji-picker")?.remove();
    const bubble = anchor.closest(".message");
    const picker = h("span", { class: "emoji-picker", role: "menu" },
      EMOJIS.map((emoji) => h("button", { type: "button", role: "menuitem", onclick: () => {
        picker.remove();
        this.composer.send({ type: "reaction", reaction: { message_id: m.id, emoji } });
      } }, emoji)));
    bubble.append(picker);
    picker.querySelector("button").focus();
  }

  /** A failed send goes again, as a new message with the same content. */
  resend(m) {
    const c = m.content ?? {};
    const again = {
      text: { type: "text", text: { body: c.body ?? m.text ?? "" } },
      location: { type: "location", location: { latitude: c.latitude, longitude: c.longitude, name: c.name, address: c.address } },
      template: { type: "template", template: { name: c.name, language: { code: c.language }, components: c.components ?? [] } },
    }[m.type] ?? (c.url ? { type: m.type, [m.type]: { link: c.url, caption: c.caption } } : null);
    if (again) this.composer.send(again);
  }

  async retryMedia(m) {
    const updated = await this.session.api("POST", `/v1/messages/${m.id}/media/retry`).catch((e) => ({ error: e }));
    if (updated?.id) this.upsert(updated);
  }
}
