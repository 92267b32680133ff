// api/openapi.json against the code: every route the Workers serve is documented, and nothing
// is documented that nobody serves. Read from the sources, so no Worker runs here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { METHODS, compileEverySchema, contractErrors, document } from "../e2e/contract.mjs";
import { ROOT } from "../../tools/wrangler-dev.mjs";
import { rustRoutes, servedRoutes } from "./routes.mjs";

// Path parameters' names differ between the code and the document (`rest` is `event`).
const shape = (method, path) => `${method} ${path.replace(/\{[^}]+\}/g, "{}")}`;

function documentedOperations() {
  const operations = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) if (item[method]) operations.push({ path, method: method.toUpperCase(), operation: item[method] });
  }
  return operations;
}

test("every route the Workers serve is in api/openapi.json, and every documented one is served", () => {
  const served = servedRoutes(ROOT);
  const unknownMethod = served.filter((r) => !r.method).map((r) => `${r.path} (${r.source})`);
  assert.deepEqual(unknownMethod, [], "routes whose method the reader could not tell");
  const servedShapes = new Set(served.map((r) => shape(r.method, r.path)));
  const documentedShapes = new Set(documentedOperations().map((o) => shape(o.method, o.path)));
  const undocumented = served.filter((r) => !documentedShapes.has(shape(r.method, r.path))).map((r) => `${r.method} ${r.path} (${r.source})`);
  const unserved = [...documentedShapes].filter((s) => !servedShapes.has(s));
  assert.deepEqual(undocumented, [], "served but not in api/openapi.json: document them");
  assert.deepEqual(unserved, [], "in api/openapi.json but served by no Worker");
  assert.ok(served.length >= 25, `only ${served.length} routes read: has the routing changed shape?`);
});

test("the route reader sees a route added to a function's match", () => {
  const source = `match (method, path.as_slice()) {
        (Method::Get, ["v1", "webhook-events"]) => webhook_events::list(req, env, &principal).await,
        (Method::Post, ["v1", "webhook-events", id, "archive"]) => {
            webhook_events::archive(req, env, &principal, id).await
        }
        (_, ["v1", "webhook-events" | "messages", ..]) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound("no API endpoint at this path".into())),
    }`;
  const routes = rustRoutes(source, "lib.rs").map((r) => shape(r.method, r.path));
  assert.deepEqual(routes, ["GET /v1/webhook-events", "POST /v1/webhook-events/{}/archive"]);
  const documented = new Set(documentedOperations().map((o) => shape(o.method, o.path)));
  assert.equal(documented.has("POST /v1/webhook-events/{}/archive"), false, "the check would name it as undocumented");
});

test("the document compiles: every schema and reference resolves, operation ids are unique, links name real operations", () => {
  assert.equal(document.openapi, "3.1.0");
  assert.ok(compileEverySchema().length > 50);
  const operations = documentedOperations();
  const ids = operations.map((o) => o.operation.operationId);
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], "duplicate operationIds");
  const byId = new Map(operations.map((o) => [o.operation.operationId, o]));
  for (const { operation } of operations) {
    for (const response of Object.values(operation.responses)) {
      for (const [name, link] of Object.entries(response.links ?? {})) {
        const target = byId.get(link.operationId);
        assert.ok(target, `${operation.operationId} links ${name} to unknown ${link.operationId}`);
        const parameters = [...(document.paths[target.path].parameters ?? []), ...(target.operation.parameters ?? [])]
          .map((p) => (p.$ref ? document.components.parameters[p.$ref.split("/").pop()] : p).name);
        for (const parameter of Object.keys(link.parameters)) {
          assert.ok(parameters.includes(parameter), `${operation.operationId}'s link ${name}: ${link.operationId} has no parameter ${parameter}`);
        }
      }
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      const problem = response.$ref || Object.keys(response.content ?? {}).includes("application/problem+json");
      if (Number(status) >= 400) assert.ok(problem, `${operation.operationId} ${status} is not a problem+json answer`);
    }
  }
});

test("the contract check tells a broken answer from a kept one", () => {
  const counts = { open: 2, pending: 0, resolved: 1, unread: 1 };
  const answer = (status, json, contentType = "application/json") => ({ status, json, contentType });
  assert.deepEqual(contractErrors("GET", "/v1/conversations/counts", answer(200, counts)), []);
  assert.match(contractErrors("GET", "/v1/conversations/counts", answer(200, { ...counts, unread: "1" })).join(), /unread must be integer/);
  assert.match(contractErrors("GET", "/v1/conversations/counts", answer(200, { ...counts, leaked: 1 })).join(), /additional properties/);
  assert.match(contractErrors("GET", "/v1/conversations/con_1", answer(418, {})).join(), /418, which the document does not list/);
  const problem = { type: "about:blank", title: "Not found", status: 404, detail: "no conversation con_1" };
  assert.deepEqual(contractErrors("GET", "/v1/conversations/con_1", answer(404, problem, "application/problem+json")), []);
  assert.match(contractErrors("GET", "/v1/conversations/con_1", answer(404, problem)).join(), /application\/problem\+json/);
  assert.match(contractErrors("GET", "/v1/nothing-here", answer(404, { error: "x" }, "application/problem+json")).join(), /not a Problem/);
});

test("the router serves this document at /v1/openapi.json", () => {
  const router = readFileSync(join(ROOT, "router/index.js"), "utf8");
  assert.match(router, /import openapi from "\.\.\/api\/openapi\.json"/);
  assert.ok(document.paths["/v1/openapi.json"].get.security.length === 0, "documented as public");
});
