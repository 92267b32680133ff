// The primary Worker: routes by path prefix to the Rust functions over service bindings.
// Service bindings are in-process calls, so this hop costs no network round trip.

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
    for (const [prefix, binding] of ROUTES) {
      if (pathname.startsWith(prefix)) {
        return env[binding].fetch(request);
      }
    }
    return env.INBOX.fetch(request);
  },
};
