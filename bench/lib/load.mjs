// A closed-loop load generator: `concurrency` workers each send their next request as soon as
// the previous one answered, until `requests` have been sent. Latency is each request's own
// service time under that many requests in flight. There is no target rate, so there is no
// schedule to fall behind and no coordinated omission to correct; throughput is what the
// system sustains at that concurrency.
import { Agent, request } from "node:http";

/** `make(i)` returns `{ path, body, headers }` for request `i`. */
export async function runLoad({ base, concurrency, requests, make, method = "POST" }) {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = new Array(requests);
  const statuses = new Map();
  let next = 0;
  let errors = 0;
  const one = (i) =>
    new Promise((resolve) => {
      const { path, body, headers = {} } = make(i);
      const started = performance.now();
      const req = request(
        { host: url.hostname, port: url.port, path, method, agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies[i] = performance.now() - started;
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            if (res.statusCode >= 400) errors += 1;
            resolve();
          });
        },
      );
      req.on("error", () => {
        latencies[i] = performance.now() - started;
        errors += 1;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < requests; i = next++) await one(i);
  }));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { requests, concurrency, elapsedMs, throughput: requests / (elapsedMs / 1000), errors, statuses: Object.fromEntries(statuses), ...percentiles(latencies) };
}

export function percentiles(samples) {
  const sorted = samples.filter((x) => x !== undefined).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1), samples: sorted.length };
}
