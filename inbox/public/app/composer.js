// Writing to the contact: Enter sends, Shift+Enter breaks the line; a file is uploaded to
// /v1/media, then sent by its id; a reply quotes its message. What is sent shows at once as
// queued, then follows its real statuses. With WhatsApp's 24-hour window closed, only the
// channel's templates are offered.
import { $, h, show } from "./dom.js";

const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Providers with WhatsApp's customer-service window (the gateways have none). */
const WINDOW_PROVIDERS = new Set(["meta"]);

export class Composer {
  constructor(session, { thread, onError }) {
    this.session = session;
    this.thread = () => thread();
    this.onError = onError;
    this.conversation = null;
    this.channel = null;
    this.reply = null;
    this.text = $("#text");
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.text.addEventListener("input", () => this.grow());
    $("#composer").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    $("#file").addEventListener("change", (e) => this.attach(e.target));
    $("#replying button").addEventListener("click", () => this.replyTo(null));
    $("#send-template").addEventListener("click", () => this.sendTemplate());
    this.windowTimer = null;
  }

  open(conversation, channel) {
    this.conversation = conversation;
    this.channel = channel;
    this.replyTo(null);
    this.text.value = "";
    this.templates = null;
    this.update(conversation);
  }

  update(conversation) {
    this.conversation = conversation;
    const closed = this.windowClosed();
    show($("#window-closed"), closed);
    this.text.disabled = closed;
    this.text.placeholder = closed ? "The 24-hour window is closed" : "Type a message";
    if (closed) this.loadTemplates();
    clearTimeout(this.windowTimer);
    const last = conversation.last_inbound_at;
    if (!closed && last && WINDOW_PROVIDERS.has(this.channel?.provider)) {
      this.windowTimer = setTimeout(() => this.update(this.conversation), last + WINDOW_MS - Date.now() + 1000);
    }
  }

  windowClosed() {
    if (!WINDOW_PROVIDERS.has(this.channel?.provider)) return false;
    const last = this.conversation?.last_inbound_at;
    return !last || Date.now() - last >= WINDOW_MS;
  }

  async loadTemplates() {
    if (this.templates) return;
    const select = $("#templates");
    try {
      const list = await this.session.api("GET", `/v1/channels/${this.channel.id}/templates`);
      this.templates = list.data;
    } catch (e) {
      this.templates = [];
      this.onError(`The channel's templates could not be loaded: ${e.message}`);
    }
    select.replaceChildren(...this.templates.map((t, i) => h("option", { value: String(i) }, `${t.name} (${t.language})`)));
  }

  sendTemplate() {
    const template = this.templates?.[Number($("#templates").value)];
    if (!template) return;
    this.send({ type: "template", template: { name: template.name, language: { code: template.language }, components: [] } });
  }

  replyTo(message) {
    this.reply = message;
    show($("#replying"), Boolean(message));
    if (message) {
      $("#replying span").textContent = `Replying to: ${message.preview || message.text || `[${message.type}]`}`;
      this.text.focus();
    }
  }

  grow() {
    this.text.style.height = "auto";
    this.text.style.height = `${Math.min(this.text.scrollHeight, 160)}px`;
  }

  submit() {
    const body = this.text.value;
    if (!body.trim() || this.windowClosed()) return;
    this.text.value = "";
    this.grow();
    this.send({ type: "text", text: { body } });
  }

  /** Sends `request` in the open conversation, showing it at once as queued. */
  async send(request) {
    const conversation = this.conversation;
    if (!conversation) return;
    const reply = request.type === "reaction" ? null : this.reply;
    if (reply) this.replyTo(null);
    const local = {
      id: `local-${crypto.randomUUID()}`, local: true, conversation_id: conversation.id, direction: "outbound",
      type: request.type, content: { type: request.type, ...request[request.type] }, text: request.text?.body ?? null,
      preview: request.text?.body ?? `[${request.type}]`, timestamp: Date.now(), status: "queued",
      context: reply ? { message_id: reply.id } : null,
    };
    if (request.type !== "reaction") this.thread().upsert(local);
    const payload = { conversation_id: conversation.id, ...request, ...(reply ? { reply_to: reply.id } : {}) };
    try {
      const sent = await this.session.api("POST", "/v1/messages", payload, { headers: { "idempotency-key": crypto.randomUUID() } });
      this.thread().remove(local.id);
      this.thread().upsert(sent);
    } catch (e) {
      this.thread().remove(local.id);
      // A refused send answers 502 with the failed message in the problem: it stays, with its reason.
      if (e.problem?.message?.id) this.thread().upsert(e.problem.message);
      else this.onError(`Not sent: ${e.message}`);
    }
  }

  /** Uploads the chosen file, then sends it by id with the text as its caption. */
  async attach(input) {
    const file = input.files?.[0];
    input.value = "";
    if (!file || !this.conversation) return;
    const type = file.type || "application/octet-stream";
    try {
      const uploaded = await this.session.api("POST", `/v1/media?filename=${encodeURIComponent(file.name)}`, undefined,
        { headers: { "content-type": type }, raw: file });
      const kind = type.startsWith("image/") ? "image" : type.startsWith("audio/") ? "audio" : type.startsWith("video/") ? "video" : "document";
      const caption = kind === "audio" ? undefined : this.text.value.trim() || undefined;
      if (caption) this.text.value = "";
      const object = { id: uploaded.id, ...(caption ? { caption } : {}), ...(kind === "document" ? { filename: file.name } : {}) };
      await this.send({ type: kind, [kind]: object });
    } catch (e) {
      this.onError(`The file was not sent: ${e.message}`);
    }
  }
}
