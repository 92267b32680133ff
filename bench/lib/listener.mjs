// A lean inbox socket for the realtime benchmark. The test harness's socket keeps and parses every
// frame and rescans them for each wait, which is right for assertions but grew to cost this
// process more CPU per event than the runtime it measures, on the same two cores. This one
// parses only the frames that can answer a wait: `message.created` events naming a waited-for id.

const CREATED = '"type":"message.created"';

/** Opens a socket for `token` and resolves once the hub's `ready` frame has arrived. */
export function listen(ponte, token) {
  const url = `${ponte.base.replace(/^http/, "ws")}/v1/realtime?access_token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  const waiting = new Map();
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    ws.addEventListener("error", () => reject(new Error("websocket error")), { once: true });
  });
  ws.addEventListener("message", (e) => {
    const receivedAt = performance.now();
    const data = e.data;
    if (onReady) {
      const frame = JSON.parse(data);
      if (frame.type === "ready") {
        onReady(frame);
        onReady = null;
      }
      return;
    }
    if (waiting.size === 0 || typeof data !== "string" || !data.includes(CREATED)) return;
    const { message } = JSON.parse(data);
    const waiter = waiting.get(message?.provider_message_id);
    if (waiter) {
      waiting.delete(message.provider_message_id);
      clearTimeout(waiter.timer);
      waiter.resolve(receivedAt);
    }
  });
  ws.addEventListener("close", () => {
    for (const [id, waiter] of waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`socket closed while waiting for ${id}`));
    }
    waiting.clear();
  });
  return ready.then(() => ({
    /** Resolves with the arrival time (performance.now()) of the message.created for `id`. */
    arrival(id, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no message.created for ${id} in ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, { resolve, reject, timer });
      });
    },
    close: () => ws.close(),
  }));
}
