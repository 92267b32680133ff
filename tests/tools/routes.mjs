// The routes the Workers serve, read from their source: the Rust functions' match arms and the
// router's own paths. tests/tools/openapi.test.mjs holds api/openapi.json to this list.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

// The first path segments the router forwards, and to which function (router/index.js ROUTES).
export function routerPrefixes(routerSource) {
  const prefixes = new Map();
  for (const [, prefix, binding] of routerSource.matchAll(/\[\s*"\/([^"/]+)\/"\s*,\s*"(\w+)"\s*\]/g)) {
    prefixes.set(prefix, binding);
  }
  return prefixes;
}

// What the router answers itself: `pathname === "/x"`, with the methods its condition names
// (GET when it names none).
export function routerRoutes(routerSource) {
  const routes = [];
  for (const match of routerSource.matchAll(/if \(pathname === "([^"]+)"([^{]*)\{/g)) {
    const methods = [...match[2].matchAll(/request\.method === "(\w+)"/g)].map((m) => m[1]).filter((m) => m !== "HEAD");
    for (const method of methods.length ? methods : ["GET"]) routes.push({ method, path: match[1], source: "router/index.js" });
  }
  return routes;
}

// A slice pattern's segments as a path: literals stay, bindings become `{name}`, and `rest @ ..`
// (anything after) gives the path without it and with one more segment. A binding guarded by
// `if name == "literal"` is that literal.
function pathsOfPattern(pattern, guards) {
  const parts = pattern.split(",").map((p) => p.trim()).filter(Boolean);
  let paths = [""];
  for (const part of parts) {
    const literal = part.match(/^"([^"]*)"$/);
    if (literal) {
      paths = paths.map((p) => `${p}/${literal[1]}`);
    } else if (/^\w+ @ \.\.$/.test(part)) {
      const name = part.split(" ")[0];
      paths = paths.flatMap((p) => [p, `${p}/{${name}}`]);
    } else if (/^[a-z_]\w*$/.test(part)) {
      paths = paths.map((p) => `${p}/${guards.get(part) ? guards.get(part) : `{${part}}`}`);
    } else {
      return null; // alternatives (`"a" | "b"`), `_` or `..`: a catch-all, not a route
    }
  }
  return paths;
}

// The block that follows `=>` or `{` at `from`: to its closing brace, or to the arm's end.
function armBody(source, from) {
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") {
      if (depth === 0) return source.slice(from, i);
      depth--;
      if (depth === 0 && c === "}") return source.slice(from, i + 1);
    } else if (c === "," && depth === 0) return source.slice(from, i);
  }
  return source.slice(from);
}

/**
 * Every `(Method::X, [..])` arm, and every bare slice arm or `if let [..] = path` whose body picks
 * the method (`Method::X =>`). A route whose handler picks its method is returned with method
 * null and its arm's body, for `handlerMethods` to look further.
 */
export function rustRoutes(source, file) {
  const routes = [];
  const tupleArm = /\(\s*Method::(\w+)\s*,\s*\[([^\]]*)\]\s*\)\s*(?:if\s+(\w+)\s*==\s*"([^"]+)"\s*)?=>/g;
  for (const m of source.matchAll(tupleArm)) {
    const guards = new Map(m[3] ? [[m[3], m[4]]] : []);
    for (const path of pathsOfPattern(m[2], guards) ?? []) routes.push({ method: m[1].toUpperCase(), path, source: file });
  }
  const bareArm = /(?:^|[\s(])(?:if let\s+)?\[((?:\s*(?:"[^"]*"|\w+(?: @ \.\.)?)\s*,?)+)\]\s*(=>|=\s*path)/gm;
  for (const m of source.matchAll(bareArm)) {
    const before = source.slice(Math.max(0, m.index - 40), m.index + 1);
    if (/Method::\w+\s*,\s*$/.test(before) || /\(\s*_\s*,\s*$/.test(before)) continue;
    const paths = pathsOfPattern(m[1], new Map());
    if (!paths) continue;
    const body = armBody(source, m.index + m[0].length + 1);
    const methods = [...body.matchAll(/Method::(\w+)\s*=>/g)].map((x) => x[1].toUpperCase());
    for (const path of paths) {
      for (const method of methods.length ? methods : [null]) routes.push({ method, path, source: file, body });
    }
  }
  return routes;
}

// The methods a handler named in `armBody` (`module::handler(`) compares the request's with,
// read from the module beside `file`.
function handlerMethods(root, file, body) {
  const call = body.match(/(\w+)::(\w+)\(/);
  if (!call) return [];
  let module;
  try {
    module = readFileSync(join(root, dirname(file), `${call[1]}.rs`), "utf8");
  } catch {
    return [];
  }
  const start = module.search(new RegExp(`fn ${call[2]}\\b`));
  if (start < 0) return [];
  const next = module.slice(start + 3).search(/\n(pub(\([^)]*\))? )?(async )?fn /);
  const handler = module.slice(start, next < 0 ? undefined : start + 3 + next);
  return [...new Set([...handler.matchAll(/Method::(\w+)/g)].map((m) => m[1].toUpperCase()))];
}

// send-message keeps its tenant API's routes as a table of their own (routes.rs).
export const FUNCTION_SOURCES = [
  ...["send-message", "webhook-receiver", "media-fetch"].map((f) => `functions/${f}/src/lib.rs`),
  "functions/send-message/src/routes.rs",
];

/** Every route reachable from outside: the router's own, and the functions' under a prefix it forwards. */
export function servedRoutes(root) {
  const router = readFileSync(join(root, "router/index.js"), "utf8");
  const prefixes = routerPrefixes(router);
  const routes = [...routerRoutes(router)];
  for (const file of FUNCTION_SOURCES) {
    for (const { body, ...route } of rustRoutes(readFileSync(join(root, file), "utf8"), file)) {
      if (!prefixes.has(route.path.split("/")[1])) continue; // e.g. /internal/*: never forwarded
      if (route.method) routes.push(route);
      else {
        const methods = handlerMethods(root, file, body);
        // A handler whose method cannot be told stays null, and the test says so.
        for (const method of methods.length ? methods : [null]) routes.push({ ...route, method });
      }
    }
  }
  return routes;
}
