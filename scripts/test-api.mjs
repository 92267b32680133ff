// `npm run test:api`: Schemathesis against the real Workers, driven by the served contract
// (GET /v1/openapi.json). A fresh stack as the e2e tests start it, a tenant seeded with channels,
// conversations, messages and an upload so that real ids exist, then `st run` with the tenant's
// key: no answer may be a 5xx or break the document. Exits with Schemathesis's status.
//   API_MAX_EXAMPLES (default 12) bounds the test cases per operation and phase;
//   API_SEED fixes the generation seed (default: a new one, printed);
//   arguments go to `st run` as they are, e.g. `npm run test:api -- --include-operation-id getMedia`.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEvolution } from "../tools/evolution-emulator.mjs";
import { API_KEY, INSTANCE, evolutionText } from "../tools/evolution-payloads.mjs";
import { startGraph } from "../tools/graph-emulator.mjs";
import { metaText } from "../tools/meta-payloads.mjs";
import { ROOT, call, createChannel, createMetaChannel, createTenant, postWebhook, startPonte } from "../tests/e2e/harness.mjs";

const MAX_EXAMPLES = Number(process.env.API_MAX_EXAMPLES ?? 12);
const SEED = Number(process.env.API_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"];
const ACCESS_TOKEN = "api-test-token";
const BUSINESS_ACCOUNT_ID = "100000000000077";

async function must(res, what) {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.json;
}

/** A tenant with a Meta channel (sends accepted by the Graph emulator) and an Evolution one. */
async function seed(ponte, graph, evolution) {
  const tenant = await createTenant(ponte, "Schemathesis");
  const key = tenant.api_key;
  const meta = await createMetaChannel(ponte, key, {
    phoneNumberId: "100000000000007", graphBaseUrl: graph.baseUrl, accessToken: ACCESS_TOKEN, businessAccountId: BUSINESS_ACCOUNT_ID,
  });
  graph.register(meta.phoneNumberId, ACCESS_TOKEN);
  graph.registerTemplates(BUSINESS_ACCOUNT_ID, ACCESS_TOKEN, [
    { name: "order_update", language: "pt_BR", components: [{ type: "BODY", text: "Seu pedido {{1}} saiu." }] },
  ]);
  const gateway = await createChannel(ponte, key, {
    provider: "evolution", config: { base_url: evolution.baseUrl, instance: INSTANCE }, secrets: { api_key: API_KEY },
  });
  for (const [i, name] of ["Ana Souza", "Bruno Lima", "Carla Dias"].entries()) {
    const body = metaText({ from: `55119876543${20 + i}`, name, id: `wamid.API${i}${Date.now()}`, body: `Olá ${i}`, phoneNumberId: meta.phoneNumberId });
    await must(await postWebhook(ponte, meta, body), "inbound webhook");
  }
  await must(await call(ponte, "POST", gateway.path, { body: evolutionText({ from: "5521998765432", name: "Davi", body: "Oi" }) }), "gateway webhook");
  const conversations = (await must(await call(ponte, "GET", "/v1/conversations", { key }), "conversations")).data;
  const conversation = conversations.find((c) => c.channel_id === meta.id);
  const sent = await must(await call(ponte, "POST", "/v1/messages", {
    key, body: { conversation_id: conversation.id, type: "text", text: { body: "Saiu para entrega!" } },
  }), "send");
  const upload = await must(await call(ponte, "POST", "/v1/media?filename=note.txt", {
    key, body: "a small file", headers: { "content-type": "text/plain" },
  }), "upload");
  return { key, meta, gateway, conversation, message: sent, upload };
}

/** Real ids for the path parameters (fuzzed ids only ever find 404s), per operation. */
function config(ids) {
  const pin = (operationId, parameters) => `[[operations]]\ninclude-operation-id = "${operationId}"\nparameters = { ${
    Object.entries(parameters).map(([k, v]) => `"${k}" = "${v}"`).join(", ")} }\n`;
  return [
    pin("getChannel", { "path.id": ids.meta.id }),
    pin("listTemplates", { "path.id": ids.meta.id }),
    pin("connectChannel", { "path.id": ids.gateway.id }),
    pin("getConversation", { "path.id": ids.conversation.id }),
    pin("updateConversation", { "path.id": ids.conversation.id }),
    pin("markConversationRead", { "path.id": ids.conversation.id }),
    pin("listMessages", { "path.id": ids.conversation.id }),
    pin("getMessage", { "path.id": ids.message.id }),
    pin("retryMessageMedia", { "path.id": ids.message.id }),
    pin("getContact", { "path.id": ids.conversation.contact.id }),
    pin("getMedia", { "path.id": ids.upload.id }),
    pin("receiveWebhook", { "path.provider": "meta", "path.token": ids.meta.path.split("/").pop() }),
    pin("webhookHandshake", { "path.provider": "meta", "path.token": ids.meta.path.split("/").pop() }),
    pin("receiveWebhookEvent", { "path.provider": "evolution", "path.token": ids.gateway.path.split("/").pop(), "path.event": "messages-upsert" }),
    pin("webhookHandshakeWithEvent", { "path.provider": "evolution", "path.token": ids.gateway.path.split("/").pop(), "path.event": "messages-upsert" }),
  ].join("\n");
}

function schemathesis(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, ".venv/bin/st"), args, { cwd, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** What the run did, from its NDJSON events: requests made, and checks passed and failed. */
function summarize(ndjsonFile) {
  let requests = 0;
  const checks = { passed: 0, failed: 0 };
  for (const line of readFileSync(ndjsonFile, "utf8").split("\n")) {
    if (!line.includes("ScenarioFinished")) continue;
    const event = JSON.parse(line).ScenarioFinished;
    for (const node of Object.values(event?.recorder?.cases ?? {})) {
      requests += 1;
      for (const check of event.recorder.checks?.[node.value.id] ?? []) checks[check.status === "success" ? "passed" : "failed"] += 1;
    }
  }
  return { requests, checks };
}

const dir = mkdtempSync(join(tmpdir(), "ponte-api-"));
const graph = await startGraph();
const evolution = await startEvolution();
const ponte = await startPonte();
let status = 1;
try {
  const ids = await seed(ponte, graph, evolution);
  writeFileSync(join(dir, "schemathesis.toml"), config(ids));
  const ndjson = join(dir, "events.ndjson");
  console.log(`test:api: ${ponte.base}, seed ${SEED}, up to ${MAX_EXAMPLES} examples per operation and phase`);
  status = await schemathesis([
    "--config-file", join(dir, "schemathesis.toml"), "run", `${ponte.base}/v1/openapi.json`,
    "--header", `Authorization: Bearer ${ids.key}`,
    "--checks", CHECKS.join(","),
    "--max-examples", String(MAX_EXAMPLES), "--seed", String(SEED),
    "--workers", "1", "--request-timeout", "20", "--no-color", "--output-truncate", "true",
    "--report", "ndjson", "--report-ndjson-path", ndjson,
    ...process.argv.slice(2),
  ], dir);
  try {
    const { requests, checks } = summarize(ndjson);
    console.log(`test:api: ${requests} requests, ${checks.passed} checks passed, ${checks.failed} failed`);
  } catch (e) {
    console.log(`test:api: could not count the run's requests (${e.message})`);
  }
} finally {
  ponte.stop();
  await graph.stop();
  await evolution.stop();
  if (status === 0) rmSync(dir, { recursive: true, force: true });
  else console.log(`test:api: the run's files are kept in ${dir}`);
}
process.exit(status);
