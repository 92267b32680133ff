// Every Meta payload of ../shared/conformance (real bodies from pywa's test suite, read in place)
// posted, signed, to a channel of its phone number: 200, messages stored, other events ignored.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, call, createMetaChannel, createTenant, postWebhook, startPonte } from "./harness.mjs";

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
