// The primary Worker: routes by path prefix to the Rust functions over service bindings.
// Service bindings are in-process calls, so this hop costs no network round trip.

import openapi from "../api/openapi.json";

const ROUTES = [
  ["/webhooks/", "WEBHOOK_RECEIVER"],
  ["/v1/", "SEND_MESSAGE"],
  ["/media/", "MEDIA_FETCH"],
];

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz") {
      return Response.json({ ok: true });
    }
    // The API's contract (api/openapi.json) is public, since clients are generated from it before
    // anyone holds a key; answered here because send-message would ask for a credential.
    if (pathname === "/v1/openapi.json" && (request.method === "GET" || request.method === "HEAD")) {
      return Response.json(openapi, { headers: { "access-control-allow-origin": "*" } });
    }
    for (const [prefix, binding] of ROUTES) {
      if (pathname.startsWith(prefix)) {
        return env[binding].fetch(request);
      }
    }
    return env.INBOX.fetch(request);
  },

  // Cron triggers (wrangler.toml) run housekeeping in send-message, on a path this router never
  // forwards from outside.
  async scheduled(event, env, ctx) {
    const url = new URL("https://ponte.internal/internal/scheduled");
    url.searchParams.set("cron", event.cron);
    const response = await env.SEND_MESSAGE.fetch(url, { method: "POST" });
    if (!response.ok) {
      throw new Error(`scheduled job on "${event.cron}" answered ${response.status}: ${await response.text()}`);
    }
    console.log(`scheduled job on "${event.cron}": ${await response.text()}`);
  },
};
