// The contract is served, publicly, as the file in the repo.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { document } from "./contract.mjs";
import { call, startPonte } from "./harness.mjs";

let ponte;
before(async () => {
  ponte = await startPonte();
});
after(() => ponte?.stop());

test("GET /v1/openapi.json answers the committed document without a credential", async () => {
  const res = await call(ponte, "GET", "/v1/openapi.json");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  assert.deepEqual(res.json, document);
});

test("the rest of /v1/ still asks for a credential", async () => {
  const res = await call(ponte, "GET", "/v1/conversations");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
});
