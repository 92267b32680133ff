// Seeds the demo tenant, its Meta channel and its Evolution API channel (idempotently: the ids
// live in .wrangler/demo.json next to the local state), runs the local Graph API and Evolution
// emulators that play WhatsApp for them (sends are accepted and answered with sent → delivered →
// read webhooks), and prints how to talk to the running system. Stays up as long as `npm start`.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { startEvolution } from "../tools/evolution-emulator.mjs";
import { API_KEY, INSTANCE, evolutionText } from "../tools/evolution-payloads.mjs";
import { startGraph } from "../tools/graph-emulator.mjs";
import { metaText } from "../tools/meta-payloads.mjs";

const [base, stateFile, graphPort, evolutionPort] = process.argv.slice(2);
const operatorKey = process.env.PONTE_OPERATOR_KEY;
const PHONE_NUMBER_ID = "100000000000001";
const ACCESS_TOKEN = "demo-access-token";
const BUSINESS_ACCOUNT_ID = "100000000000099";
const graph = await startGraph({ port: Number(graphPort) });
const evolution = await startEvolution({ port: Number(evolutionPort) });

async function waitForHealth() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Ponte did not answer on ${base}/healthz`);
}

async function api(path, key, body) {
  const res = await fetch(`${base}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function seed() {
  if (existsSync(stateFile)) {
    const demo = JSON.parse(readFileSync(stateFile, "utf8"));
    try {
      const channels = await api("/v1/channels", demo.apiKey);
      const channel = channels.data.find((c) => c.id === demo.channelId);
      const gateway = channels.data.find((c) => c.id === demo.evolutionChannelId);
      const current = channel?.config.graph_base_url === graph.baseUrl && channel?.config.business_account_id === BUSINESS_ACCOUNT_ID;
      if (current && gateway?.config.base_url === evolution.baseUrl) {
        return { ...demo, webhookUrl: channel.webhook_url, evolutionWebhookUrl: gateway.webhook_url };
      }
    } catch {}
  }
  const tenant = await api("/v1/tenants", operatorKey, { name: "Demo" });
  const appSecret = randomBytes(16).toString("hex");
  const channel = await api("/v1/channels", tenant.api_key, {
    provider: "meta",
    name: "Demo WhatsApp",
    config: { phone_number_id: PHONE_NUMBER_ID, graph_base_url: graph.baseUrl, business_account_id: BUSINESS_ACCOUNT_ID },
    secrets: { access_token: ACCESS_TOKEN, app_secret: appSecret, verify_token: "demo-verify-token" },
  });
  const gateway = await api("/v1/channels", tenant.api_key, {
    provider: "evolution",
    name: "Demo Evolution API",
    config: { base_url: evolution.baseUrl, instance: INSTANCE },
    secrets: { api_key: API_KEY },
  });
  const demo = { tenantId: tenant.id, apiKey: tenant.api_key, channelId: channel.id, appSecret, evolutionChannelId: gateway.id };
  writeFileSync(stateFile, JSON.stringify(demo, null, 2));
  return { ...demo, webhookUrl: channel.webhook_url, evolutionWebhookUrl: gateway.webhook_url };
}

await waitForHealth();
const demo = await seed();
graph.register(PHONE_NUMBER_ID, ACCESS_TOKEN);
graph.registerTemplates(BUSINESS_ACCOUNT_ID, ACCESS_TOKEN, [
  { name: "order_update", language: "pt_BR", components: [{ type: "BODY", text: "Seu pedido {{1}} saiu para entrega." }] },
  { name: "welcome_back", language: "en_US", components: [{ type: "BODY", text: "Welcome back! How can we help?" }] },
]);
graph.followWithStatuses(PHONE_NUMBER_ID, demo.webhookUrl, demo.appSecret);
evolution.follow(demo.evolutionWebhookUrl, { echo: true, statuses: ["sent", "delivered", "read"] });
const evolutionBody = JSON.stringify(evolutionText({ from: "5521998765432", name: "Bruno Lima", body: "Oi! Vocês abrem sábado?" }));
const body = JSON.stringify(metaText({
  from: "5511987654321", name: "Ana Souza", id: `wamid.DEMO${Date.now()}`,
  body: "Olá! Is my order on its way?", phoneNumberId: PHONE_NUMBER_ID,
}));
const signature = createHmac("sha256", demo.appSecret).update(body).digest("hex");
console.log(`
Ponte is running at ${base}

  The web inbox: open ${base}/ and sign in with the demo tenant key below (it is exchanged for a
  short-lived token; the key never goes into a URL). Post the sample webhooks below to see
  conversations arrive live.

  operator key      ${operatorKey}
  demo tenant key   ${demo.apiKey}
  demo webhook URL  ${demo.webhookUrl}
  (app secret ${demo.appSecret}, verify token demo-verify-token)

Post a signed sample webhook, then read it back:

curl -s -X POST '${demo.webhookUrl}' \\
  -H 'content-type: application/json' \\
  -H 'x-hub-signature-256: sha256=${signature}' \\
  --data '${body}'

curl -s '${base}/v1/conversations' -H 'authorization: Bearer ${demo.apiKey}'

Answer it (the local Graph API emulator at ${graph.baseUrl} plays WhatsApp and sends the
statuses back), and watch every change live in the inbox, or on the WebSocket ${base.replace(/^http/, "ws")}/v1/realtime:

curl -s -X POST '${base}/v1/messages' -H 'authorization: Bearer ${demo.apiKey}' \\
  -H 'content-type: application/json' \\
  --data '{"channel_id":"${demo.channelId}","to":"+5511987654321","type":"text","text":{"body":"Sim, saiu para entrega!"}}'

The same through a WhatsApp Web gateway: the demo's Evolution API channel (emulated at
${evolution.baseUrl}; its webhooks are unsigned, the URL token and the body's apikey vouch for them):

curl -s -X POST '${demo.evolutionWebhookUrl}' -H 'content-type: application/json' --data '${evolutionBody}'

curl -s -X POST '${base}/v1/messages' -H 'authorization: Bearer ${demo.apiKey}' \\
  -H 'content-type: application/json' \\
  --data '{"channel_id":"${demo.evolutionChannelId}","to":"+5521998765432","type":"text","text":{"body":"Abrimos sim, das 9h às 13h."}}'

curl -s -X POST '${base}/v1/channels/${demo.evolutionChannelId}/connect' -H 'authorization: Bearer ${demo.apiKey}'
`);
