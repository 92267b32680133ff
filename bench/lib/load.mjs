// A closed-loop load generator: `concurrency` workers each send their next request as soon as
// the previous one answered, until `requests` have been sent. Latency is each request's own
// service time under that many requests in flight. There is no target rate, so there is no
// schedule to fall behind and no coordinated omission to correct; throughput is what the
// system sustains at that concurrency.
//
// It speaks HTTP/1.1 over one kept-alive socket per worker itself, instead of through
// node:http's agent: on a two-core machine the client shares the cores with the runtime it
// measures, and node:http costs about 0.15 ms of CPU per request where this costs a fraction.
import { connect } from "node:net";

/** `make(i)` returns `{ path, body, headers }` for request `i`; it is called when `i` is sent. */
export async function runLoad({ base, concurrency, requests, make, method = "POST" }) {
  const url = new URL(base);
  const latencies = new Array(requests);
  const statuses = new Map();
  let next = 0;
  let errors = 0;
  const worker = async () => {
    let connection = null;
    for (let i = next++; i < requests; i = next++) {
      const { path, body, headers = {} } = make(i);
      const started = performance.now();
      try {
        connection ??= await Connection.open(url.hostname, Number(url.port));
        const status = await connection.exchange(encode(url, method, path, body, headers));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 400) errors += 1;
      } catch {
        connection?.close();
        connection = null;
        errors += 1;
      }
      latencies[i] = performance.now() - started;
      if (connection?.closing) {
        connection.close();
        connection = null;
      }
    }
    connection?.close();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return { requests, concurrency, elapsedMs, throughput: requests / (elapsedMs / 1000), errors, statuses: Object.fromEntries(statuses), ...percentiles(latencies) };
}

function encode(url, method, path, body, headers) {
  const payload = Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), payload]);
}

const HEAD_END = Buffer.from("\r\n\r\n");
const HEADERS = Object.fromEntries(["content-length", "transfer-encoding", "connection"]
  .map((name) => [name, new RegExp(`\r\n${name}:[ \t]*([^\r]*)`, "i")]));
const LINE_END = Buffer.from("\r\n");

/** One kept-alive HTTP/1.1 connection with at most one request in flight. */
class Connection {
  static open(host, port) {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once("connect", () => resolve(new Connection(socket)));
      socket.once("error", reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.pending = null;
    this.closing = false;
    socket.on("data", (chunk) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.parse();
    });
    const fail = (error) => {
      const pending = this.pending;
      this.pending = null;
      pending?.reject(error ?? new Error("the server closed the connection"));
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  /** Sends one request and resolves with the response's status once its body has arrived. */
  exchange(request) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  parse() {
    if (!this.pending) return;
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.buffer.toString("latin1", 0, headEnd);
    const status = Number(head.slice(9, 12));
    const header = (name) => head.match(HEADERS[name])?.[1];
    let end;
    if (/chunked/i.test(header("transfer-encoding") ?? "")) {
      end = chunkedEnd(this.buffer, headEnd + HEAD_END.length);
      if (end < 0) return;
    } else {
      end = headEnd + HEAD_END.length + Number(header("content-length") ?? 0);
      if (this.buffer.length < end) return;
    }
    this.closing = /close/i.test(header("connection") ?? "");
    this.buffer = this.buffer.subarray(end);
    const pending = this.pending;
    this.pending = null;
    pending.resolve(status);
  }

  close() {
    this.socket.destroy();
  }
}

/** Where a chunked body that starts at `at` ends, or -1 while it is incomplete. */
function chunkedEnd(buffer, at) {
  for (;;) {
    const lineEnd = buffer.indexOf(LINE_END, at);
    if (lineEnd < 0) return -1;
    const size = parseInt(buffer.toString("latin1", at, lineEnd), 16);
    if (size === 0) {
      // No trailers are expected; the body ends with the empty line after the last chunk.
      const end = buffer.indexOf(LINE_END, lineEnd + LINE_END.length);
      return end < 0 ? -1 : end + LINE_END.length;
    }
    at = lineEnd + LINE_END.length + size + LINE_END.length;
    if (buffer.length < at) return -1;
  }
}

export function percentiles(samples) {
  const sorted = samples.filter((x) => x !== undefined).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1), samples: sorted.length };
}
