// The channels page (admins): each channel's provider, webhook URL to copy and connection, a
// gateway's QR code replaced live as new ones arrive, and a form per provider to add one.
import { $, h } from "./dom.js";
import { PROVIDERS, provider } from "./format.js";

/** Any channel that reaches people by phone number may read national forms in its country. */
const DEFAULT_COUNTRY = ["default_country", "Default country", "Its calling code (55 for Brazil): numbers typed without one are read as that country's", false];

/** What each provider's channel needs, as POST /v1/channels takes it. */
const FORMS = {
  meta: {
    config: [["phone_number_id", "Phone number ID", "From the WhatsApp Manager, API setup", true], ["graph_base_url", "Graph API URL", "Leave empty for Meta's own", false], DEFAULT_COUNTRY],
    secrets: [["access_token", "Access token", "A system user's permanent token", true], ["app_secret", "App secret", "Verifies the webhook's signature", true], ["verify_token", "Verify token", "Any string; Meta echoes it when the webhook is set up", true]],
  },
  evolution: {
    config: [["base_url", "Server URL", "Where your Evolution API runs", true], ["instance", "Instance", "The instance's name", true], DEFAULT_COUNTRY],
    secrets: [["api_key", "Instance token", "Also what Evolution puts in each webhook's apikey", true]],
  },
  zapi: {
    config: [["instance_id", "Instance ID", "From the Z-API dashboard", true], ["base_url", "API URL", "Leave empty for Z-API's own", false], DEFAULT_COUNTRY],
    secrets: [["instance_token", "Instance token", "From the Z-API dashboard", true], ["client_token", "Client token", "The account's security token", true]],
  },
  wppconnect: {
    config: [["base_url", "Server URL", "Where your WPPConnect Server runs", true], ["session", "Session", "The session's name", true], DEFAULT_COUNTRY],
    secrets: [["token", "Token", "The session's bearer token", true]],
  },
  twilio: {
    config: [["account_sid", "Account SID", "From the Twilio console", true], ["from", "From", "+E164 for SMS, whatsapp:+E164 for WhatsApp", true], ["base_url", "API URL", "Leave empty for Twilio's own", false], DEFAULT_COUNTRY],
    secrets: [["auth_token", "Auth token", "Also the key Twilio signs webhooks with", true]],
  },
  telegram: {
    config: [["base_url", "Bot API URL", "Leave empty for Telegram's own", false]],
    secrets: [["bot_token", "Bot token", "From @BotFather", true]],
    // Telegram learns the webhook URL from setWebhook, which connect calls.
    connect: "Register webhook",
  },
  gupshup: {
    config: [["app_name", "App name", "The GupShup app registered for the number", true], ["source", "Business number", "With its country code", true], ["base_url", "API URL", "Leave empty for GupShup's own", false], DEFAULT_COUNTRY],
    secrets: [["api_key", "API key", "From the GupShup dashboard", true]],
  },
  messenger: {
    config: [["page_id", "Page ID", "The Facebook Page's id", true], ["instagram_account_id", "Instagram account ID", "The Instagram professional account linked to the page, for Instagram Direct", false], ["graph_base_url", "Graph API URL", "Leave empty for Meta's own", false]],
    secrets: [["page_access_token", "Page access token", "The page's token with messaging permission", true], ["app_secret", "App secret", "Verifies the webhook's signature", true], ["verify_token", "Verify token", "Any string; Meta echoes it when the webhook is set up", true]],
  },
};

export class ChannelsPage {
  constructor(session, { channels, onChanged, onError }) {
    this.session = session;
    this.channels = channels;
    this.onChanged = onChanged;
    this.onError = onError;
    this.el = $("#channel-list");
    const select = $("#provider");
    select.replaceChildren(...Object.keys(FORMS).map((name) => h("option", { value: name }, PROVIDERS[name].label)));
    select.addEventListener("change", () => this.fields());
    $("#channel-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.add(e.target);
    });
    this.fields();
  }

  fields() {
    const form = FORMS[$("#provider").value];
    const field = (group) => ([name, label, help, required]) => h("label", {},
      `${label}${required ? "" : " (optional)"}`,
      h("input", { name: `${group}.${name}`, required, type: group === "secrets" ? "password" : "text", autocomplete: "off" }),
      h("small", { class: "muted" }, help));
    $("#provider-fields").replaceChildren(...form.config.map(field("config")), ...form.secrets.map(field("secrets")));
  }

  async add(form) {
    const data = new FormData(form);
    const body = { provider: data.get("provider"), name: data.get("name"), config: {}, secrets: {} };
    for (const [key, value] of data) {
      const [group, name] = key.split(".");
      if (name && value !== "") body[group][name] = value;
    }
    $("#channel-error").textContent = "";
    try {
      const channel = await this.session.api("POST", "/v1/channels", body);
      form.reset();
      this.fields();
      this.update(channel);
    } catch (e) {
      $("#channel-error").textContent = e.problem?.field ? `${e.problem.field}: ${e.message}` : e.message;
    }
  }

  update(channel) {
    this.channels.set(channel.id, channel);
    this.onChanged();
    this.render();
  }

  render() {
    this.el.replaceChildren(...[...this.channels.values()].map((c) => this.row(c)));
  }

  row(c) {
    const mark = provider(c.provider);
    const connection = c.connection;
    return h("li", { class: "card channel", dataset: { id: c.id } },
      h("header", {}, h("span", { class: "mark", style: `background:${mark.colour}` }, mark.mark), h("strong", {}, c.name), h("span", { class: "muted" }, ` ${mark.label}`)),
      c.webhook_url ? h("p", { class: "webhook" }, "Webhook: ", h("code", {}, c.webhook_url), " ",
        h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(c.webhook_url) }, "Copy")) : null,
      connection ? h("div", { class: "connection" },
        h("p", {}, "Connection: ", h("strong", { class: `state ${connection.state}` }, connection.state.replace("_", " "))),
        connection.qr?.image ? h("img", { class: "qr", src: connection.qr.image, alt: "QR code to scan with WhatsApp on the phone", width: 240, height: 240 }) : null,
        connection.state !== "connected" ? h("button", { type: "button", class: "connect", onclick: () => this.connect(c) }, "Connect") : null)
        : FORMS[c.provider]?.connect ? h("button", { type: "button", class: "connect", onclick: () => this.connect(c) }, FORMS[c.provider].connect) : null);
  }

  async connect(channel) {
    try {
      this.update(await this.session.api("POST", `/v1/channels/${channel.id}/connect`));
    } catch (e) {
      this.onError(`Could not connect ${channel.name}: ${e.message}`);
    }
  }
}
