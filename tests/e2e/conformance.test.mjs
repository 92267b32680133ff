// Every Meta and Evolution payload of ../shared/conformance, read in place: Meta's real bodies
// (pywa's test suite) posted, signed, to a channel of their phone number: 200, messages stored,
// other events ignored; Evolution's client-library fixtures handled as the corpus README says.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, call, createChannel, createMetaChannel, createTenant, postWebhook, startPonte } from "./harness.mjs";

const CORPUS = process.env.PONTE_CONFORMANCE_DIR ?? join(ROOT, "../shared/conformance");
const UPDATES = join(CORPUS, "meta-whatsapp-cloud/pywa/tests/data/updates");

let ponte;
before(async () => (ponte = await startPonte()));
after(() => ponte?.stop());

test("every Meta payload of the conformance corpus is accepted", async () => {
  assert.ok(existsSync(UPDATES), `conformance corpus not found at ${CORPUS} (set PONTE_CONFORMANCE_DIR)`);
  const tenant = await createTenant(ponte, "Conformance");
  const key = tenant.api_key;
  let payloads = 0;
  let storedMessages = 0;
  for (const file of readdirSync(UPDATES).sort()) {
    for (const [name, body] of Object.entries(JSON.parse(readFileSync(join(UPDATES, file), "utf8")))) {
      const label = `${file}#${name}`;
      payloads++;
      const value = body.entry[0].changes[0].value ?? {};
      const phoneNumberId = value.metadata?.phone_number_id ?? "0";
      // One channel per payload: the corpus reuses message ids across cases.
      const channel = await createMetaChannel(ponte, key, { phoneNumberId });
      const res = await postWebhook(ponte, channel, body);
      assert.equal(res.status, 200, `${label}: ${res.text}`);
      const expected = [...(value.messages ?? []), ...(value.message_echoes ?? [])].map((m) => m.id);
      assert.equal(res.json.messages, expected.length, label);
      if (expected.length === 0) {
        assert.ok(res.json.statuses + res.json.ignored > 0, `${label}: neither stored nor ignored`);
        continue;
      }
      const convs = (await call(ponte, "GET", `/v1/conversations?channel_id=${channel.id}`, { key })).json.data;
      const stored = [];
      for (const c of convs) {
        stored.push(...(await call(ponte, "GET", `/v1/conversations/${c.id}/messages`, { key })).json.data);
      }
      assert.deepEqual(stored.map((m) => m.provider_message_id).sort(), [...expected].sort(), label);
      storedMessages += stored.length;
    }
  }
  assert.equal(payloads, 74);
  assert.equal(storedMessages, 39);
});

test("the real Meta-signed body verifies with its app secret and is stored", async () => {
  const vectors = JSON.parse(readFileSync(join(CORPUS, "signatures.json"), "utf8")).meta_x_hub_signature_256.vectors;
  const vector = vectors.find((v) => v.id === "pywa_real_signed_text_message");
  const raw = readFileSync(join(CORPUS, vector.raw_body_file));
  const tenant = await createTenant(ponte, "Signed");
  const channel = await createMetaChannel(ponte, tenant.api_key, { phoneNumberId: "277321005464405", appSecret: vector.app_secret });
  const res = await call(ponte, "POST", channel.path, { body: raw.toString("utf8"),
    headers: { "x-hub-signature-256": vector.expected_header } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.messages, 1);
  const wrong = await postWebhook(ponte, channel, raw.toString("utf8"), { signature: vectors[1].expected_header });
  assert.equal(wrong.status, 401);
});

test("every Evolution payload of the conformance corpus is handled as the corpus README says", async () => {
  const dir = join(CORPUS, "evolution/maquina-digital-evolution-client-py-sdk/tests/fixtures");
  assert.ok(existsSync(dir), `conformance corpus not found at ${CORPUS} (set PONTE_CONFORMANCE_DIR)`);
  // What Ponte must do with each file, from ../shared/conformance/README.md's Evolution table.
  const expected = {
    "valid_message_upsert.json": { stored: 1 },
    "missing_from_field.json": { stored: 1 },
    "incomplete_message_data.json": { stored: 0 },
    "null_required_fields.json": { stored: 0 },
    "unknown_event.json": { stored: 0, ignored: true },
    "empty_payload.json": { stored: 0 },
    "malformed_random.json": { stored: 0 },
  };
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  assert.deepEqual(files, Object.keys(expected).sort(), "a new corpus file needs its expectation here");
  const tenant = await createTenant(ponte, "Evolution conformance");
  const key = tenant.api_key;
  for (const file of files) {
    const raw = readFileSync(join(dir, file), "utf8");
    const instance = JSON.parse(raw).instance ?? "test-instance";
    // One channel per file, on the instance the payload names, as one Evolution server would post.
    const channel = await createChannel(ponte, key, { provider: "evolution",
      config: { base_url: "http://127.0.0.1:9", instance }, secrets: { api_key: "conformance-key" } });
    const res = await call(ponte, "POST", channel.path, { body: raw });
    assert.ok(res.status < 500, `${file}: ${res.status} ${res.text}`);
    const convs = (await call(ponte, "GET", `/v1/conversations?channel_id=${channel.id}`, { key })).json.data;
    let stored = 0;
    for (const c of convs) stored += (await call(ponte, "GET", `/v1/conversations/${c.id}/messages`, { key })).json.data.length;
    assert.equal(stored, expected[file].stored, file);
    if (expected[file].ignored) assert.equal(res.json.ignored, 1, file);
    // Whatever the outcome, the delivery is in the event log.
    const events = (await call(ponte, "GET", "/v1/webhook-events?limit=1", { key })).json.data;
    assert.equal(events[0].channel_id, channel.id, `${file}: logged`);
  }
});
