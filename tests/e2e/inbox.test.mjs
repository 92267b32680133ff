// The web inbox in a real browser (Debian's Chromium, headless, through playwright-core) against
// the real stack: signing in, conversations arriving live, sending with ticks that follow the
// provider's statuses, failures with their reason, media from /media, templates when the window
// is closed, the socket cut and resumed, a gateway's QR code, and a phone-sized screen.
// With PONTE_SCREENSHOTS=<dir> set, it also saves the main screens there (docs/screenshots).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startEvolution } from "../../tools/evolution-emulator.mjs";
import { API_KEY, INSTANCE, evolutionQr } from "../../tools/evolution-payloads.mjs";
import { answers, startGraph } from "../../tools/graph-emulator.mjs";
import { startMediaHost } from "../../tools/media-host.mjs";
import { BOT_TOKEN as TELEGRAM_BOT_TOKEN, startTelegram } from "../../tools/telegram-emulator.mjs";
import { envelope, metaText } from "../../tools/meta-payloads.mjs";
import { launch, png, wav } from "./browser.mjs";
import { call, createChannel, createMetaChannel, createTenant, postWebhook, startPonte } from "./harness.mjs";

const ACCOUNT = "102290129340398";
const SHOTS = process.env.PONTE_SCREENSHOTS;
let ponte;
let graph;
let host;
let evolution;
let browser;
let numbers = 0;

before(async () => {
  [ponte, graph, host, evolution, browser] = await Promise.all([startPonte(), startGraph(), startMediaHost(), startEvolution(), launch()]);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  ponte?.stop();
  await Promise.all([graph?.stop(), host?.stop(), evolution?.stop()]);
});

/** A tenant with a Meta channel whose sends, statuses, media and templates the Graph emulator plays. */
async function tenant() {
  const { api_key: key } = await createTenant(ponte);
  const phoneNumberId = `4004004${String(++numbers).padStart(5, "0")}`;
  const accessToken = `EAAG-inbox-${phoneNumberId}`;
  graph.register(phoneNumberId, accessToken);
  graph.registerTemplates(ACCOUNT, accessToken, [{ name: "order_update", language: "pt_BR" }, { name: "welcome_back", language: "pt_BR" }]);
  const channel = await createMetaChannel(ponte, key, { phoneNumberId, accessToken, graphBaseUrl: graph.baseUrl, businessAccountId: ACCOUNT });
  graph.followWithStatuses(phoneNumberId, `${ponte.base}${channel.path}`, channel.appSecret);
  return { key, channel, phoneNumberId, accessToken };
}

const nextNumber = () => `55119${String(70000000 + ++numbers * 97).padStart(8, "0")}`;

async function signedIn(key, { viewport = { width: 1280, height: 800 }, beforeLoad } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await beforeLoad?.(page);
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(ponte.base);
  await page.fill("input[name=name]", "Ana (agent)");
  await page.fill("input[name=secret]", key);
  await page.click("#signin-form button[type=submit]");
  await page.waitForSelector("#app:not([hidden])");
  // Events reach a socket once it is ready; what came before it, the page fetched.
  await page.waitForSelector("body[data-live=online]");
  return page;
}

const row = (page, name) => page.locator(".conversation", { hasText: name });
const shot = async (page, name) => SHOTS && page.screenshot({ path: `${SHOTS}/${name}.png` });

describe("the inbox", () => {
  test("sign in, a conversation arrives live, open it, send and watch the ticks go queued → sent → delivered → read", async () => {
    const s = await tenant();
    const page = await signedIn(s.key);
    assert.equal(await page.locator(".conversation").count(), 0);

    const from = nextNumber();
    await postWebhook(ponte, s.channel, metaText({ from, name: "Beatriz Souza", body: "Oi! Meu pedido já saiu?", phoneNumberId: s.phoneNumberId }));
    await row(page, "Beatriz Souza").waitFor();
    assert.match(await row(page, "Beatriz Souza").textContent(), /Meu pedido já saiu\?/);
    await page.waitForFunction(() => document.title === "(1) Ponte", null, { timeout: 5000 }); // the tab counts unread conversations

    await row(page, "Beatriz Souza").locator("a").click();
    await page.locator(".message.inbound", { hasText: "Meu pedido já saiu?" }).waitFor();
    await page.waitForFunction(() => document.title === "Ponte", null, { timeout: 5000 });

    // Every status a bubble of ours shows, in order, as the page renders it.
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => {
        const bubble = [...document.querySelectorAll(".message.outbound")].find((m) => m.textContent.includes("Saiu hoje"));
        const status = bubble?.dataset.status;
        if (status && window.seen.at(-1) !== status) window.seen.push(status);
      }).observe(document.querySelector("#messages"), { subtree: true, childList: true, attributes: true });
    });
    await page.fill("#text", "Saiu hoje");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("às 14h 🚚");
    await page.keyboard.press("Enter");
    await page.locator(".message.outbound[data-status=read]").waitFor({ timeout: 10_000 });
    const seen = await page.evaluate(() => window.seen);
    assert.deepEqual(seen, ["queued", "sent", "delivered", "read"]);
    assert.equal(await page.locator(".message.outbound .text").textContent(), "Saiu hoje\nàs 14h 🚚", "Shift+Enter breaks the line");
    await page.context().close();
  });

  test("a token close to expiry is minted again from the key, which never appears in a URL", async () => {
    const s = await tenant();
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls = [];
    page.on("request", (r) => urls.push(r.url()));
    page.on("websocket", (ws) => urls.push(ws.url()));
    await page.goto(ponte.base);
    await page.fill("input[name=secret]", s.key);
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("body[data-live=online]");
    const first = await page.evaluate(() => JSON.parse(sessionStorage.getItem("ponte.session")));
    assert.ok(first.expiresAt - Date.now() > 50 * 60_000, "a one-hour token");
    // As if the hour were nearly over: the next call mints a fresh token first (a second later,
    // so that its claims differ).
    await new Promise((r) => setTimeout(r, 1100));
    await page.evaluate(() => {
      const state = JSON.parse(sessionStorage.getItem("ponte.session"));
      sessionStorage.setItem("ponte.session", JSON.stringify({ ...state, expiresAt: Date.now() + 60_000 }));
    });
    await page.reload();
    await page.waitForSelector("body[data-live=online]");
    const second = await page.evaluate(() => JSON.parse(sessionStorage.getItem("ponte.session")));
    assert.notEqual(second.token, first.token);
    assert.ok(second.expiresAt - Date.now() > 50 * 60_000);
    assert.ok(urls.length > 5 && urls.every((u) => !u.includes(s.key) && !u.includes(second.token)), "no credential in any URL");
    await context.close();
  });

  test("reply, react, attach a file, resolve and reopen, and search", async () => {
    const s = await tenant();
    const from = nextNumber();
    await postWebhook(ponte, s.channel, metaText({ from, name: "Igor Matos", id: `wamid.IGOR${from}`, body: "Tem em azul?", phoneNumberId: s.phoneNumberId }));
    await postWebhook(ponte, s.channel, metaText({ from: nextNumber(), name: "Joana", body: "Bom dia", phoneNumberId: s.phoneNumberId }));
    const page = await signedIn(s.key);
    await row(page, "Igor Matos").locator("a").click();
    const inbound = page.locator(".message.inbound", { hasText: "Tem em azul?" });
    await inbound.waitFor();

    await inbound.hover();
    await inbound.locator("button.reply").click();
    await page.locator("#replying:not([hidden])").waitFor();
    await page.keyboard.type("Tem sim!");
    await page.keyboard.press("Enter");
    await page.locator(".message.outbound:not([data-status=queued])", { hasText: "Tem sim!" }).waitFor();
    assert.match(await page.locator(".message.outbound .quote").textContent(), /Tem em azul\?/);
    const replied = graph.callsTo(from).find((c) => c.body.text?.body === "Tem sim!");
    assert.equal(replied.body.context.message_id, `wamid.IGOR${from}`, "the reply quotes the customer's message");

    await inbound.hover();
    await inbound.locator("button.react").click();
    await page.locator(".emoji-picker button", { hasText: "👍" }).click();
    await inbound.locator(".reactions", { hasText: "👍" }).waitFor();
    assert.ok(graph.callsTo(from).some((c) => c.body.type === "reaction" && c.body.reaction.emoji === "👍"));

    const photo = await png(32, 32, [200, 40, 40]);
    await page.fill("#text", "Foto do azul");
    await page.setInputFiles("#file", { name: "azul.png", mimeType: "image/png", buffer: photo });
    await page.locator(".message.outbound:not([data-status=queued]) img.image").waitFor({ timeout: 10_000 });
    const sentImage = graph.callsTo(from).find((c) => c.body.type === "image");
    assert.equal(sentImage.body.image.caption, "Foto do azul");
    assert.deepEqual(graph.uploads.get(sentImage.body.image.id).bytes, photo, "uploaded through Meta's upload API, then sent by its id");
    await page.mouse.move(0, 0);
    await shot(page, "inbox");

    await page.click("#toggle-status");
    await page.locator("#toggle-status", { hasText: "Reopen" }).waitFor();
    await row(page, "Igor Matos").waitFor({ state: "detached" });
    await page.click(".tabs [data-status=resolved]");
    await row(page, "Igor Matos").waitFor();
    await page.click("#toggle-status");
    await page.locator("#toggle-status", { hasText: "Resolve" }).waitFor();
    await page.click(".tabs [data-status=open]");
    await row(page, "Igor Matos").waitFor();

    await page.fill("#search", "joana");
    await row(page, "Igor Matos").waitFor({ state: "detached" });
    assert.equal(await page.locator(".conversation").count(), 1);
    await page.fill("#search", from.slice(-6));
    await row(page, "Igor Matos").waitFor();
    assert.equal(await page.locator(".conversation").count(), 1);
    await page.context().close();
  });

  test("a send shows once, even when the socket brings it before the send's answer", async () => {
    const s = await tenant();
    const from = nextNumber();
    await postWebhook(ponte, s.channel, metaText({ from, name: "Rita Lopes", body: "Oi", phoneNumberId: s.phoneNumberId }));
    const page = await signedIn(s.key);
    let release, answered;
    const held = new Promise((r) => (release = r));
    const fulfilled = new Promise((r) => (answered = r));
    await page.route("**/v1/messages", async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      const response = await route.fetch();
      await held;
      await route.fulfill({ response });
      answered();
    });
    await row(page, "Rita Lopes").locator("a").click();
    await page.locator(".message.inbound", { hasText: "Oi" }).waitFor();
    await page.locator("#text").fill("Pode falar");
    await page.keyboard.press("Enter");
    const mine = page.locator(".message.outbound", { hasText: "Pode falar" });
    await page.locator(".message.outbound:not([data-status=queued])", { hasText: "Pode falar" }).waitFor();
    assert.equal(await mine.count(), 1, "the socket's copy replaced the queued one");
    release();
    await fulfilled;
    await page.waitForTimeout(200);
    assert.equal(await mine.count(), 1, "and the answer did not add another");
    await page.context().close();
  });

  test("a message from a blocked contact is shown marked, and does not count as unread", async () => {
    const s = await tenant();
    const from = nextNumber();
    await postWebhook(ponte, s.channel, metaText({ from, name: "Bruno Spam", body: "Primeira", phoneNumberId: s.phoneNumberId }));
    const [conversation] = (await call(ponte, "GET", "/v1/conversations", { key: s.key })).json.data;
    await call(ponte, "POST", `/v1/conversations/${conversation.id}/read`, { key: s.key });
    await call(ponte, "PATCH", `/v1/contacts/${conversation.contact.id}`, { key: s.key, body: { blocked: true } });
    await postWebhook(ponte, s.channel, metaText({ from, name: "Bruno Spam", body: "Compre agora", phoneNumberId: s.phoneNumberId }));
    const page = await signedIn(s.key);
    assert.equal(await row(page, "Bruno Spam").locator(".badge").count(), 0, "not unread");
    await row(page, "Bruno Spam").locator("a").click();
    await page.locator(".message.inbound", { hasText: "Compre agora" }).locator(".blocked-note").waitFor();
    assert.equal(await page.locator(".message.inbound", { hasText: "Primeira" }).locator(".blocked-note").count(), 0);
    await page.context().close();
  });

  test("an edited message shows its new text marked edited; a deleted one is marked deleted", async () => {
    const s = await tenant();
    const from = nextNumber();
    const at = Date.now() - 60_000;
    const contacts = [{ profile: { name: "Kátia" }, wa_id: from }];
    const text = (id, body, ts) => ({ from, id, timestamp: String(Math.floor(ts / 1000)), type: "text", text: { body } });
    await postWebhook(ponte, s.channel, envelope({ contacts, messages: [text(`wamid.K1${from}`, "Quero 2 camisas", at), text(`wamid.K2${from}`, "Ignora isso", at + 1000)] }, s.phoneNumberId));
    const page = await signedIn(s.key);
    await row(page, "Kátia").locator("a").click();
    await page.locator(".message", { hasText: "Quero 2 camisas" }).waitFor();
    await postWebhook(ponte, s.channel, envelope({ contacts, messages: [
      { from, id: `wamid.K3${from}`, timestamp: String(Math.floor((at + 5000) / 1000)), type: "edit", edit: { original_message_id: `wamid.K1${from}`, message: { type: "text", text: { body: "Quero 3 camisas" } } } },
      { from, id: `wamid.K4${from}`, timestamp: String(Math.floor((at + 6000) / 1000)), type: "revoke", revoke: { original_message_id: `wamid.K2${from}` } },
    ] }, s.phoneNumberId));
    const edited = page.locator(".message.edited", { hasText: "Quero 3 camisas" });
    await edited.waitFor();
    assert.match(await edited.locator(".meta").textContent(), /edited/);
    await page.locator(".message.deleted", { hasText: "This message was deleted" }).waitFor();
    assert.equal(await page.locator(".message", { hasText: "Quero 2 camisas" }).count(), 0, "the edit replaces the text");
    await page.context().close();
  });

  test("more conversations load as the list scrolls; the title counts them all; muting clears it", async () => {
    const s = await tenant();
    const from = nextNumber();
    const base = Date.now() - 3_600_000;
    const messages = Array.from({ length: 45 }, (_, i) => ({ from: `${from.slice(0, -2)}${String(i).padStart(2, "0")}`,
      id: `wamid.L${from}${i}`, timestamp: String(Math.floor((base + i * 1000) / 1000)), type: "text", text: { body: `Mensagem ${i}` } }));
    const contacts = messages.map((m, i) => ({ profile: { name: `Cliente ${String(i).padStart(2, "0")}` }, wa_id: m.from }));
    await postWebhook(ponte, s.channel, envelope({ contacts, messages }, s.phoneNumberId));
    const page = await signedIn(s.key);
    await row(page, "Cliente 44").waitFor();
    assert.equal(await page.locator(".conversation").count(), 30, "one page at first");
    await page.waitForFunction(() => document.title === "(45) Ponte", null, { timeout: 5000 }); // all of them, not the page
    await page.locator("#conversations").evaluate((list) => list.scrollTo(0, list.scrollHeight));
    await row(page, "Cliente 00").waitFor();
    assert.equal(await page.locator(".conversation").count(), 45, "the rest on scroll, newest first");
    await page.click("#mute");
    assert.equal(await page.title(), "Ponte");
    assert.equal(await page.getAttribute("#mute", "aria-pressed"), "true");
    await page.context().close();
  });

  test("a send the provider refuses shows its reason and a retry", async () => {
    const s = await tenant();
    const from = nextNumber();
    await postWebhook(ponte, s.channel, metaText({ from, name: "Carlos", body: "Oi", phoneNumberId: s.phoneNumberId }));
    graph.script(from, answers.reengagement());
    const page = await signedIn(s.key);
    await row(page, "Carlos").locator("a").click();
    await page.fill("#text", "Vai falhar");
    await page.keyboard.press("Enter");
    const failed = page.locator(".message.outbound.failed");
    await failed.waitFor();
    assert.match(await failed.locator(".reason").textContent(), /Not sent: Re-engagement message.*131047/);
    assert.equal(await failed.locator("button.retry").count(), 1);
    await page.context().close();
  });

  test("an image and a voice note arrive, render from /media and play", async () => {
    const s = await tenant();
    const from = nextNumber();
    const image = await png(64, 48, [11, 110, 79]);
    const voice = wav(1);
    const media = [["image", image, "image/png", { caption: "Foto do produto" }], ["audio", voice, "audio/wav", { voice: true }]];
    const messages = media.map(([type, bytes, mimeType, extra], i) => {
      const mediaId = `77${s.phoneNumberId}${i}`;
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const url = host.put(`/inbox/${mediaId}`, bytes, mimeType, { token: s.accessToken });
      graph.registerMedia(mediaId, { urls: [url], mimeType, sha256, size: bytes.length, token: s.accessToken });
      return { from, id: `wamid.MEDIA.${mediaId}`, timestamp: String(Math.floor(Date.now() / 1000) + i), type, [type]: { id: mediaId, mime_type: mimeType, sha256, ...extra } };
    });
    await postWebhook(ponte, s.channel, envelope({ contacts: [{ profile: { name: "Dora" }, wa_id: from }], messages }, s.phoneNumberId));
    const page = await signedIn(s.key);
    await row(page, "Dora").locator("a").click();
    const img = page.locator(".message img.image");
    await img.waitFor({ timeout: 15_000 });
    assert.match(await img.getAttribute("src"), /^\/media\/med_\w+\?exp=\d+&kid=[0-9a-f]{8}&sig=/);
    await page.waitForFunction(() => document.querySelector(".message img.image")?.naturalWidth === 64);
    assert.match(await page.locator(".message", { has: page.locator("img.image") }).textContent(), /Foto do produto/);
    const audio = page.locator(".message audio");
    await audio.waitFor();
    const played = await audio.evaluate(async (el) => {
      await el.play();
      await new Promise((resolve) => (el.currentTime > 0 ? resolve() : el.addEventListener("timeupdate", resolve, { once: true })));
      el.pause();
      return { duration: el.duration, at: el.currentTime };
    });
    assert.ok(played.at > 0, "the voice note plays");
    assert.ok(Math.abs(played.duration - 1) < 0.1, `a one-second note, got ${played.duration}`);
    await page.context().close();
  });

  test("with the 24-hour window closed the composer says so and sends a template", async () => {
    const s = await tenant();
    const from = nextNumber();
    const twoDaysAgo = Date.now() - 2 * 24 * 3600 * 1000;
    await postWebhook(ponte, s.channel, metaText({ from, name: "Eduardo", body: "Oi, de anteontem", ts: twoDaysAgo, phoneNumberId: s.phoneNumberId }));
    const page = await signedIn(s.key);
    await row(page, "Eduardo").locator("a").click();
    await page.locator("#window-closed:not([hidden])").waitFor();
    assert.ok(await page.locator("#text").isDisabled(), "no free-form message outside the window");
    await page.waitForFunction(() => document.querySelectorAll("#templates option").length === 2);
    await page.selectOption("#templates", { label: "order_update (pt_BR)" });
    await page.click("#send-template");
    await page.locator(".message.outbound:not([data-status=queued]) .template", { hasText: "order_update" }).waitFor();
    const sent = graph.callsTo(from).at(-1);
    assert.deepEqual([sent.body.type, sent.body.template.name, sent.body.template.language.code], ["template", "order_update", "pt_BR"]);
    await page.context().close();
  });

  test("when the socket is cut, a banner says so, and after the reconnect what arrived meanwhile is there", async () => {
    const s = await tenant();
    let cut = false;
    const open = [];
    const page = await signedIn(s.key, {
      beforeLoad: (p) => p.routeWebSocket(/\/v1\/realtime/, (ws) => {
        if (cut) return ws.close({ code: 4000, reason: "cut" });
        ws.connectToServer();
        open.push(ws);
      }),
    });
    await postWebhook(ponte, s.channel, metaText({ from: nextNumber(), name: "Fernanda", body: "antes do corte", phoneNumberId: s.phoneNumberId }));
    await row(page, "Fernanda").waitFor();

    cut = true;
    for (const ws of open) await ws.close({ code: 4000, reason: "cut" });
    await page.locator("#offline:not([hidden])").waitFor();
    await postWebhook(ponte, s.channel, metaText({ from: nextNumber(), name: "Gustavo", body: "durante o corte", phoneNumberId: s.phoneNumberId }));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await row(page, "Gustavo").count(), 0, "nothing arrives while cut");
    cut = false;
    await row(page, "Gustavo").waitFor({ timeout: 20_000 });
    await page.locator("#offline[hidden]").waitFor({ state: "attached" });
    await page.context().close();
  });

  test("the channels page shows a gateway's QR code and swaps it when a new one arrives", async () => {
    const { api_key: key } = await createTenant(ponte);
    const channel = await createChannel(ponte, key, { provider: "evolution", name: "Loja Centro",
      config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY } });
    const page = await signedIn(key);
    await page.click("#nav-channels");
    const card = page.locator(".channel", { hasText: "Loja Centro" });
    await card.waitFor();
    assert.match(await card.textContent(), /\/webhooks\/evolution\//, "the webhook URL to copy");
    // Two different codes, drawn like QR codes: a module grid with the three finder squares.
    const qr = (seed) => png(29, 29, (x, y) => {
      const finder = (fx, fy) => x >= fx && x < fx + 7 && y >= fy && y < fy + 7
        && (Math.max(Math.abs(x - fx - 3), Math.abs(y - fy - 3)) !== 2);
      const inFinder = [[0, 0], [22, 0], [0, 22]].some(([fx, fy]) => x >= fx - 1 && x < fx + 8 && y >= fy - 1 && y < fy + 8);
      const dark = inFinder ? [[0, 0], [22, 0], [0, 22]].some(([fx, fy]) => finder(fx, fy)) : ((x * 7 + y * 13 + seed) * 2654435761) % 5 < 2;
      return dark ? [0, 0, 0] : [255, 255, 255];
    });
    const first = `data:image/png;base64,${(await qr(1)).toString("base64")}`;
    const second = `data:image/png;base64,${(await qr(2)).toString("base64")}`;
    await call(ponte, "POST", channel.path, { body: evolutionQr({ base64: first }) });
    await card.locator(`img.qr[src="${first}"]`).waitFor();
    assert.match(await card.textContent(), /qr required/);
    await shot(page, "channels");
    await call(ponte, "POST", channel.path, { body: evolutionQr({ base64: second }) });
    await card.locator(`img.qr[src="${second}"]`).waitFor();
    await page.context().close();
  });

  test("a channel is added through the provider's form; a wrong field is named", async () => {
    const { api_key: key } = await createTenant(ponte);
    const page = await signedIn(key);
    await page.click("#nav-channels");
    await page.click("details.card summary");
    await page.selectOption("#provider", "wppconnect");
    assert.deepEqual(await page.locator("#provider-fields input").evaluateAll((inputs) => inputs.map((i) => i.name)),
      ["config.base_url", "config.session", "config.default_country", "secrets.token"], "the fields WPPConnect needs");
    await page.fill("#channel-form input[name=name]", "Loja Norte");
    await page.fill("input[name='config.base_url']", "ftp://wpp.local");
    await page.fill("input[name='config.session']", "loja-norte");
    await page.fill("input[name='config.default_country']", "+55");
    await page.fill("input[name='secrets.token']", "segredo");
    await page.click("#channel-form button[type=submit]");
    await page.locator("#channel-error", { hasText: "base_url" }).waitFor();
    await page.fill("input[name='config.base_url']", "http://127.0.0.1:21465");
    await page.click("#channel-form button[type=submit]");
    const card = page.locator(".channel", { hasText: "Loja Norte" });
    await card.waitFor();
    assert.match(await card.textContent(), /\/webhooks\/wppconnect\//);
    const listed = (await call(ponte, "GET", "/v1/channels", { key })).json.data;
    assert.deepEqual(listed.map((c) => [c.provider, c.name, c.config.session, c.config.default_country]), [["wppconnect", "Loja Norte", "loja-norte", "55"]]);
    await page.context().close();
  });

  test("a Telegram bot is added by its token alone, and its webhook registered from the page", async () => {
    const telegram = await startTelegram();
    try {
      const { api_key: key } = await createTenant(ponte);
      const page = await signedIn(key);
      await page.click("#nav-channels");
      await page.click("details.card summary");
      await page.selectOption("#provider", "telegram");
      assert.deepEqual(await page.locator("#provider-fields input").evaluateAll((inputs) => inputs.map((i) => i.name)),
        ["config.base_url", "secrets.bot_token"], "the fields Telegram needs");
      await page.fill("#channel-form input[name=name]", "Bot da loja");
      await page.fill("input[name='config.base_url']", telegram.baseUrl);
      await page.fill("input[name='secrets.bot_token']", TELEGRAM_BOT_TOKEN);
      await page.click("#channel-form button[type=submit]");
      const card = page.locator(".channel", { hasText: "Bot da loja" });
      await card.locator("button.connect", { hasText: "Register webhook" }).click();
      await card.locator(".state.connected").waitFor();
      const [channel] = (await call(ponte, "GET", "/v1/channels", { key })).json.data;
      assert.equal(telegram.webhook()?.url, channel.webhook_url);
      assert.equal(await card.locator("button.connect").count(), 0, "registered: nothing left to press");
      await page.context().close();
    } finally {
      await telegram.stop();
    }
  });

  test("a Messenger page is added with its page id and the secrets Meta gives, and its webhook URL shown", async () => {
    const { api_key: key } = await createTenant(ponte);
    const page = await signedIn(key);
    await page.click("#nav-channels");
    await page.click("details.card summary");
    await page.selectOption("#provider", "messenger");
    assert.deepEqual(await page.locator("#provider-fields input").evaluateAll((inputs) => inputs.map((i) => i.name)),
      ["config.page_id", "config.instagram_account_id", "config.graph_base_url", "secrets.page_access_token", "secrets.app_secret", "secrets.verify_token"],
      "the fields a Messenger page needs");
    await page.fill("#channel-form input[name=name]", "Página da loja");
    await page.fill("input[name='config.page_id']", "1122334455");
    await page.fill("input[name='secrets.page_access_token']", "EAAPage-inbox");
    await page.fill("input[name='secrets.app_secret']", "inbox-app-secret");
    await page.fill("input[name='secrets.verify_token']", "inbox-verify");
    await page.click("#channel-form button[type=submit]");
    const card = page.locator(".channel", { hasText: "Página da loja" });
    await card.waitFor();
    assert.match(await card.textContent(), /\/webhooks\/messenger\//);
    const listed = (await call(ponte, "GET", "/v1/channels", { key })).json.data;
    assert.deepEqual(listed.map((c) => [c.provider, c.config.page_id]), [["messenger", "1122334455"]]);
    await page.context().close();
  });

  test("on a phone-sized screen the list and the thread take turns", async () => {
    const s = await tenant();
    await postWebhook(ponte, s.channel, metaText({ from: nextNumber(), name: "Helena", body: "Pelo celular", phoneNumberId: s.phoneNumberId }));
    const page = await signedIn(s.key, { viewport: { width: 390, height: 844 } });
    await row(page, "Helena").waitFor();
    assert.ok(!(await page.locator(".thread-pane").isVisible()), "only the list at first");
    await row(page, "Helena").locator("a").click();
    await page.locator(".message", { hasText: "Pelo celular" }).waitFor();
    assert.ok(!(await page.locator(".list-pane").isVisible()), "then only the thread");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `nothing wider than the screen (${width}px)`);
    await shot(page, "phone");
    await page.click("#back");
    await row(page, "Helena").waitFor();
    assert.ok(await page.locator(".list-pane").isVisible());
    await page.context().close();
  });
});
