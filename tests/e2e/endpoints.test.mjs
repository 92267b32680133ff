// Where a deployed Ponte lets a tenant point a channel: only https on a public host, since every
// call there carries the provider's token. This Ponte runs as deployed (no
// PONTE_ALLOW_LOCAL_PROVIDERS); every other test file allows its local emulators.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call, createTenant, startPonte } from "./harness.mjs";

let ponte;
before(async () => (ponte = await startPonte({ vars: { PONTE_ALLOW_LOCAL_PROVIDERS: "0" } })));
after(() => ponte?.stop());

const meta = (config) => ({ provider: "meta", name: "Meta", config: { phone_number_id: "1065", ...config },
  secrets: { access_token: "EAAG", app_secret: "s", verify_token: "v" } });
const gateway = (provider, base_url) => ({
  provider, name: provider,
  ...{
    evolution: { config: { base_url, instance: "loja" }, secrets: { api_key: "k" } },
    wppconnect: { config: { base_url, session: "loja" }, secrets: { token: "t" } },
    zapi: { config: { ...(base_url ? { base_url } : {}), instance_id: "3C01" }, secrets: { instance_token: "t", client_token: "c" } },
  }[provider],
});

test("a channel cannot point its credential at loopback, private hosts or plain http; public https is taken", async () => {
  const { api_key: key } = await createTenant(ponte);
  const refused = [
    [meta({ graph_base_url: "http://127.0.0.1:8790/v23.0" }), "config.graph_base_url", /https/],
    [meta({ graph_base_url: "https://169.254.169.254/latest" }), "config.graph_base_url", /public host/],
    [gateway("evolution", "https://10.0.0.5:8080"), "config.base_url", /public host, not 10.0.0.5/],
    [gateway("evolution", "https://localhost"), "config.base_url", /public host/],
    [gateway("wppconnect", "http://wpp.loja.com.br"), "config.base_url", /https/],
    [gateway("wppconnect", "https://[::1]:21465"), "config.base_url", /public host/],
    [gateway("zapi", "https://zapi.internal"), "config.base_url", /public host/],
  ];
  for (const [body, field, reason] of refused) {
    const res = await call(ponte, "POST", "/v1/channels", { key, body });
    assert.equal(res.status, 422, JSON.stringify(body.config));
    assert.equal(res.json.field, field);
    assert.match(res.json.detail, reason);
  }
  assert.equal((await call(ponte, "GET", "/v1/channels", { key })).json.data.length, 0, "nothing was stored");

  for (const body of [meta({}), meta({ graph_base_url: "https://graph.facebook.com/v23.0" }),
    gateway("evolution", "https://evo.loja.com.br"), gateway("wppconnect", "https://wpp.loja.com.br:21465"), gateway("zapi")]) {
    const res = await call(ponte, "POST", "/v1/channels", { key, body });
    assert.equal(res.status, 201, `${JSON.stringify(body.config)}: ${res.text}`);
  }
});
