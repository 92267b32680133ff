// Realtime pushes run after a webhook is answered (ctx.wait_until): a hub slow to take a
// publish never delays the provider's 200. The hub is made slow by PONTE_FAULT_HUB_DELAY_MS, an
// asynchronous wait; a slow D1 write cannot show it, since local workerd runs every Worker on one
// thread and a long query stalls them all.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openSocket, postWebhook, startPonte, tenantWithChannel } from "./harness.mjs";
import { metaText } from "../../tools/meta-payloads.mjs";

const HUB_DELAY_MS = 5000;
let ponte;
before(async () => {
  ponte = await startPonte({ vars: { PONTE_FAULT_HUB_DELAY_MS: HUB_DELAY_MS } });
});
after(() => ponte?.stop());

test("a webhook is answered before its realtime push, however slow the hub", async () => {
  const { key, channel } = await tenantWithChannel(ponte);
  // Opening a socket takes no publish, so the delay does not apply to it.
  const socket = await openSocket(ponte, { token: key });
  const started = performance.now();
  const res = await postWebhook(ponte, channel, metaText({ id: "wamid.NOT-KEPT-WAITING" }));
  const answeredMs = performance.now() - started;
  assert.equal(res.status, 200, res.text);
  const created = await socket.next((f) => f.type === "message.created", HUB_DELAY_MS * 4);
  const pushedMs = performance.now() - started;
  assert.equal(created.message.provider_message_id, "wamid.NOT-KEPT-WAITING");
  // The push really waited for the slow hub, so the answer's speed is not luck.
  assert.ok(pushedMs >= HUB_DELAY_MS, `pushed after ${pushedMs} ms`);
  assert.ok(answeredMs < HUB_DELAY_MS / 2, `the provider waited ${answeredMs} ms for its answer`);
  socket.close();
});
