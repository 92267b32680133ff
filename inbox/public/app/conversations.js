// The conversation list: status tabs, search, newest activity first, more on scroll, and live:
// a conversation that changes moves to its place at once.
import { $, h, show } from "./dom.js";
import { contactName, formatPhone, provider, shortTime } from "./format.js";

const PAGE = 30;

export class ConversationList {
  constructor(session, { channels, onChange }) {
    this.session = session;
    this.channels = channels; // Map id → channel
    this.onChange = onChange; // something that the counts depend on may have changed
    this.status = "open";
    this.search = "";
    this.items = new Map(); // id → conversation, in the current tab and search
    this.cursor = null;
    this.loading = false;
    this.selected = null;
    this.el = $("#conversations");
    this.wire();
  }

  wire() {
    for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
      tab.addEventListener("click", () => {
        this.status = tab.dataset.status;
        for (const t of document.querySelectorAll(".tabs [role=tab]")) t.setAttribute("aria-selected", String(t === tab));
        this.reload();
      });
    }
    let debounce;
    $("#search").addEventListener("input", (e) => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        this.search = e.target.value.trim();
        this.reload();
      }, 250);
    });
    this.el.addEventListener("scroll", () => {
      if (this.el.scrollTop + this.el.clientHeight > this.el.scrollHeight - 80) this.more();
    });
  }

  async reload() {
    this.items.clear();
    this.cursor = null;
    this.done = false;
    await this.more();
  }

  async more() {
    if (this.loading || this.done) return;
    this.loading = true;
    try {
      const query = new URLSearchParams({ status: this.status, limit: String(PAGE) });
      if (this.search) query.set("q", this.search);
      if (this.cursor) query.set("cursor", this.cursor);
      const page = await this.session.api("GET", `/v1/conversations?${query}`);
      for (const c of page.data) this.items.set(c.id, c);
      this.cursor = page.next_cursor;
      this.done = !page.next_cursor;
    } finally {
      this.loading = false;
    }
    this.render();
  }

  /** Whether a conversation belongs in what the list shows now. */
  matches(conversation) {
    if (conversation.status !== this.status) return false;
    if (!this.search) return true;
    const term = this.search.toLowerCase();
    const digits = this.search.replace(/\D/g, "");
    return (conversation.contact.name ?? "").toLowerCase().includes(term)
      || (digits && (conversation.contact.phone ?? "").includes(digits));
  }

  /** A conversation as it stands now, from an event or an action. */
  update(conversation) {
    if (this.matches(conversation)) this.items.set(conversation.id, conversation);
    else this.items.delete(conversation.id);
    this.render();
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  render() {
    const sorted = [...this.items.values()].sort((a, b) => b.last_activity_at - a.last_activity_at || (a.id < b.id ? 1 : -1));
    this.el.replaceChildren(...sorted.map((c) => this.row(c)));
    show($("#list-empty"), sorted.length === 0 && !this.loading);
    this.onChange();
  }

  row(c) {
    const channel = this.channels.get(c.channel_id);
    const mark = provider(channel?.provider);
    return h("li", { class: c.id === this.selected ? "conversation selected" : "conversation", dataset: { id: c.id } },
      h("a", { href: `#/c/${c.id}` },
        h("span", { class: "mark", style: `background:${mark.colour}`, title: `${mark.label}: ${channel?.name ?? ""}` }, mark.mark),
        // The provider's CDN link: no referrer tells it which inbox looked.
        c.contact.avatar_url ? h("img", { class: "avatar", src: c.contact.avatar_url, alt: "", loading: "lazy", referrerpolicy: "no-referrer" }) : null,
        h("span", { class: "summary" },
          h("span", { class: "line" },
            h("strong", { class: "name" }, contactName(c.contact)),
            h("time", { class: "when" }, shortTime(c.last_message?.timestamp ?? c.last_activity_at))),
          h("span", { class: "line" },
            h("span", { class: "preview" }, c.last_message?.preview ?? formatPhone(c.contact.phone)),
            c.unread_count > 0 ? h("span", { class: "badge", "aria-label": `${c.unread_count} unread` }, c.unread_count) : null))));
  }

}
