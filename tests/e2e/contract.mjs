// The API contract (api/openapi.json) as a checker of live answers: which operation a request
// is, and whether an answer's status, content type and JSON body are what the document says.
// harness.mjs's call() runs every answer through checkAnswer, so the whole e2e suite holds the
// Workers to the document.
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { ROOT } from "../../tools/wrangler-dev.mjs";

export const DOCUMENT_PATH = join(ROOT, "api/openapi.json");
export const document = JSON.parse(readFileSync(DOCUMENT_PATH, "utf8"));
const DOCUMENT_ID = "https://ponte.invalid/openapi.json";
export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

// OpenAPI's own keywords beside JSON Schema's (`example`, `discriminator`) are not errors.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

const pointer = (...parts) => parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
const resolve = (node, at) => {
  // A response may be a `$ref` to components.responses: follow it, keeping where it lives.
  while (node?.$ref) {
    at = node.$ref.slice(1);
    node = at.split("/").slice(1).reduce((n, p) => n[p.replaceAll("~1", "/").replaceAll("~0", "~")], document);
  }
  return { node, at };
};

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.split("/").map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))).join("/")}$`),
  literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
}));

/** The document's path template for a concrete path: the most literal one that matches. */
export function templateOf(path) {
  const bare = path.split("?")[0];
  const matching = templates.filter((t) => t.pattern.test(bare)).sort((a, b) => b.literals - a.literals);
  return matching[0]?.template;
}

/** The operation for a request, or undefined when the document has none. */
export function operationOf(method, path) {
  const template = templateOf(path);
  const operation = template && document.paths[template][method.toLowerCase()];
  return operation && { template, method: method.toLowerCase(), operation };
}

const validators = new Map();
function validatorAt(at) {
  if (!validators.has(at)) validators.set(at, ajv.getSchema(`${DOCUMENT_ID}#${at}`));
  return validators.get(at);
}

const mediaTypeOf = (contentType) => (contentType ?? "").split(";")[0].trim().toLowerCase();
const matchesMediaRange = (type, range) =>
  range === "*/*" || range === type || (range.endsWith("/*") && type.startsWith(range.slice(0, -1)));

/**
 * The contract's complaints about one answer, empty when it keeps the contract. Paths the
 * document does not list (a test probing a 404) are held to the problem format only.
 */
export function contractErrors(method, path, { status, contentType, json }) {
  const found = operationOf(method, path);
  const type = mediaTypeOf(contentType);
  if (!found) {
    if (type !== "application/problem+json" || json === undefined) return [];
    const valid = validatorAt(`/${pointer("components", "schemas", "Problem")}`);
    return valid(json) ? [] : [`${method} ${path} (not in the document): ${status} is not a Problem: ${ajv.errorsText(valid.errors)}`];
  }
  const name = `${found.method.toUpperCase()} ${found.template} (${found.operation.operationId})`;
  const responses = found.operation.responses;
  const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => responses[k]);
  if (!key) return [`${name} answered ${status}, which the document does not list (it lists ${Object.keys(responses).join(", ")})`];
  const base = `/${pointer("paths", found.template, found.method, "responses", key)}`;
  const { node: response, at } = resolve(responses[key], base);
  const content = response.content;
  if (!content) return [];
  const range = Object.keys(content).find((r) => matchesMediaRange(type, r));
  if (!range) return [`${name} answered ${status} as ${contentType ?? "no content type"}; the document says ${Object.keys(content).join(" or ")}`];
  if (json === undefined || !content[range].schema || !/json$/.test(type)) return [];
  const valid = validatorAt(`${at}/${pointer("content", range, "schema")}`);
  if (valid(json)) return [];
  return [`${name} answered ${status} with a body that breaks its schema: ${ajv.errorsText(valid.errors, { separator: "; " })}`];
}

/**
 * Throws when an answer breaks the contract; for harness.mjs's call(). With
 * PONTE_CONTRACT_REPORT=<file>, appends the complaint there instead, so that one run of the
 * suite lists every broken answer rather than stopping each test at its first.
 */
export function checkAnswer(method, path, answer) {
  const errors = contractErrors(method, path, answer);
  if (!errors.length) return;
  const body = answer.text === undefined ? "" : `\n  body: ${answer.text.slice(0, 600)}`;
  const complaint = `API contract (api/openapi.json): ${errors.join("; ")}${body}`;
  if (process.env.PONTE_CONTRACT_REPORT) appendFileSync(process.env.PONTE_CONTRACT_REPORT, `${complaint}\n`);
  else throw new Error(complaint);
}

/** Every schema location in the document, compiled: a broken schema or `$ref` throws here. */
export function compileEverySchema() {
  const compiled = [];
  const visit = (node, at) => {
    if (!node || typeof node !== "object") return;
    if (node.schema && typeof node.schema === "object") {
      ajv.getSchema(`${DOCUMENT_ID}#${at}/schema`);
      compiled.push(`${at}/schema`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== "schema") visit(v, `${at}/${pointer(k)}`);
  };
  visit(document.paths, `/paths`);
  visit(document.components, `/components`);
  for (const name of Object.keys(document.components.schemas)) ajv.getSchema(`${DOCUMENT_ID}#/${pointer("components", "schemas", name)}`);
  return compiled;
}
