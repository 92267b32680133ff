// Seeds the demo tenant and Meta channel (idempotently: the ids live in .wrangler/demo.json next
// to the local state) and prints how to talk to the running system.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [base, stateFile] = process.argv.slice(2);
const operatorKey = process.env.PONTE_OPERATOR_KEY;

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
      if (channel) return { ...demo, webhookUrl: channel.webhook_url };
    } catch {}
  }
  const tenant = await api("/v1/tenants", operatorKey, { name: "Demo" });
  const appSecret = randomBytes(16).toString("hex");
  const channel = await api("/v1/channels", tenant.api_key, {
    provider: "meta",
    name: "Demo WhatsApp",
    config: { phone_number_id: "100000000000001" },
    secrets: { access_token: "demo-access-token", app_secret: appSecret, verify_token: "demo-verify-token" },
  });
  const demo = { tenantId: tenant.id, apiKey: tenant.api_key, channelId: channel.id, appSecret };
  writeFileSync(stateFile, JSON.stringify(demo, null, 2));
  return { ...demo, webhookUrl: channel.webhook_url };
}

await waitForHealth();
const demo = await seed();
const body = JSON.stringify({
  object: "whatsapp_business_account",
  entry: [{ id: "1", changes: [{ field: "messages", value: {
    messaging_product: "whatsapp",
    metadata: { display_phone_number: "15550000001", phone_number_id: "100000000000001" },
    contacts: [{ profile: { name: "Ana Souza" }, wa_id: "5511987654321" }],
    messages: [{ from: "5511987654321", id: "wamid.DEMO1", timestamp: "1767225600", type: "text",
                 text: { body: "Olá! Is my order on its way?" } }],
  } }] }],
});
const signature = createHmac("sha256", demo.appSecret).update(body).digest("hex");
console.log(`
Ponte is running at ${base}

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
`);
