// The routes the Workers serve, read from their Rust routers, so that the isolation matrix
// cannot silently miss a route added later: every route found here must have a matrix entry.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

const read = (path) => readFileSync(join(ROOT, path), "utf8");
const source = (fn) => read(`functions/${fn}/src/lib.rs`);

/** `"v1", "channels", id, "templates"` → `/v1/channels/{id}/templates`. */
function pathOf(patternList) {
  const segments = patternList.split(",").map((s) => s.trim()).filter(Boolean);
  return `/${segments.map((s) => (s.startsWith('"') ? s.slice(1, -1) : `{${s.replace(/ @ \.\.$/, "")}}`)).join("/")}`;
}

/** The methods named by the `Method::X =>` arms in the block that opens at `from`. */
function blockMethods(text, from) {
  const open = text.indexOf("{", from);
  let depth = 0;
  let end = open;
  for (; end < text.length; end++) {
    if (text[end] === "{") depth++;
    if (text[end] === "}" && --depth === 0) break;
  }
  return [...text.slice(open, end).matchAll(/Method::(\w+)\s*=>/g)].map((m) => m[1].toUpperCase());
}

/**
 * send-message's API: the `(Method::X, ["v1", …])` arms of its route table (routes.rs), and the
 * paths lib.rs takes before authenticating (`if let [...] = path.as_slice()`); one handed over
 * whatever the method (the realtime upgrade, whose handler checks it itself) is `ANY`.
 * Catch-all arms (`_`) only refuse, so they are no route.
 */
export function apiRoutes() {
  const text = `${source("send-message")}\n${read("functions/send-message/src/routes.rs")}`;
  const routes = [];
  let methodsRead = 0;
  for (const m of text.matchAll(/if let \[([^\]]*)\] = path\.as_slice\(\)/g)) {
    const methods = blockMethods(text, m.index + m[0].length);
    methodsRead += methods.length;
    for (const method of methods.length ? methods : ["ANY"]) routes.push(`${method} ${pathOf(m[1])}`);
  }
  // rustfmt may spread a long arm over lines, with a trailing comma.
  const arms = [...text.matchAll(/\(\s*Method::(\w+),\s*\[([^\]]*)\],?\s*\)\s*=>/g)];
  for (const m of arms) routes.push(`${m[1].toUpperCase()} ${pathOf(m[2])}`);
  methodsRead += arms.length;
  // A route written some other way must make the matrix fail, not vanish from it: every method
  // an arm (a line with `=>`) names must have been read.
  const armLines = text.split("\n").filter((line) => line.includes("=>")).join("\n");
  const named = (armLines.match(/Method::\w+/g) ?? []).length;
  if (named !== methodsRead) {
    throw new Error(`send-message names ${named} methods in its arms but ${methodsRead} were read: teach isolation-routes.mjs the new arm`);
  }
  return routes;
}

/** media-fetch's `(Method::X, [prefix, id]) if prefix == "media"` arms. */
export function mediaRoutes() {
  const text = source("media-fetch");
  return [...text.matchAll(/\(Method::(\w+),\s*\[([^\]]*)\]\)\s*if\s+(\w+)\s*==\s*"(\w+)"/g)].map((m) => {
    const segments = m[2].split(",").map((s) => s.trim());
    return `${m[1].toUpperCase()} /${segments.map((s) => (s === m[3] ? m[4] : `{${s}}`)).join("/")}`;
  });
}

/** webhook-receiver's `["webhooks", …] =>` arm and the methods it dispatches on. */
export function webhookRoutes() {
  const text = source("webhook-receiver");
  const routes = [];
  for (const m of text.matchAll(/\[("webhooks"[^\]]*)\]\s*=>/g)) {
    for (const method of blockMethods(text, m.index + m[0].length)) routes.push(`${method} ${pathOf(m[1])}`);
  }
  return routes;
}

/**
 * The primary Worker's own answers (`pathname === "/…"`), with the methods its condition names
 * (`request.method === "GET"`), else `ANY`; the prefixes it forwards are the functions' routes.
 */
export function routerRoutes() {
  const routes = [];
  for (const line of read("router/index.js").split("\n")) {
    const path = line.match(/pathname === "([^"]+)"/)?.[1];
    if (!path) continue;
    const methods = [...line.matchAll(/request\.method === "(\w+)"/g)].map((m) => m[1]);
    for (const method of methods.length ? methods : ["ANY"]) routes.push(`${method} ${path}`);
  }
  return routes;
}

export const servedRoutes = () => [...routerRoutes(), ...apiRoutes(), ...mediaRoutes(), ...webhookRoutes()];
