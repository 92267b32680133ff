// A lean inbox socket for the realtime benchmark. The client shares the machine's cores with the
// runtime it measures, so its own cost per frame matters: the test harness's socket (Node's
// built-in WebSocket, every frame parsed and kept) cost this process more CPU per event than the
// runtime spent sending it. This one uses `ws` and parses only the frames that can answer a wait:
// `message.created` events, while some id is awaited.
import WebSocket from "ws";

const CREATED = '"type":"message.created"';

/** Opens a socket at `url` and resolves once its `ready` frame has arrived. */
export function listen(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let sample = null;
  const waiting = new Map();
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    ws.once("error", (e) => reject(new Error(`websocket error: ${e.message}`)));
  });
  ws.on("message", (data) => {
    const receivedAt = performance.now();
    if (onReady) {
      const frame = JSON.parse(data.toString());
      if (frame.type === "ready") {
        onReady(frame);
        onReady = null;
      }
      return;
    }
    if (waiting.size === 0 || !data.includes(CREATED)) return;
    const { message } = JSON.parse(data.toString());
    const waiter = waiting.get(message?.provider_message_id);
    if (waiter) {
      sample ??= data.toString();
      waiting.delete(message.provider_message_id);
      clearTimeout(waiter.timer);
      waiter.resolve(receivedAt);
    }
  });
  ws.on("close", () => {
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
    /** One frame this socket waited for, as received. */
    sample: () => sample,
    close: () => ws.close(),
  }));
}
