// The benchmark's load generator speaks HTTP/1.1 itself, so it is checked here against node's
// own server: every request arrives whole, every answer is read to its end whatever its framing,
// and failures are counted rather than lost.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { runLoad } from "../../bench/lib/load.mjs";

/** A server that answers each request as `answer(body, res)` says, recording what it got. */
async function serve(answer) {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ path: req.url, body, signature: req.headers["x-signature"] });
      answer(body, res);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

const make = (i) => ({ path: `/hook/${i}`, body: JSON.stringify({ i, text: "olá ".repeat(i % 7) }), headers: { "x-signature": `s${i}` } });

test("every request arrives whole and every answer counts, whatever its framing", { timeout: 10_000 }, async () => {
  const server = await serve((body, res) => {
    const { i } = JSON.parse(body);
    if (i % 3 === 0) {
      // Chunked, in several writes.
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"part":1,');
      setImmediate(() => res.end(`"i":${i},"pad":"${"x".repeat(5000)}"}`));
    } else if (i % 3 === 1) {
      res.writeHead(201, { "content-type": "application/json", "content-length": 11 });
      res.end('{"ok":true}');
    } else {
      res.writeHead(204);
      res.end();
    }
  });
  try {
    const run = await runLoad({ base: server.base, concurrency: 4, requests: 60, make });
    assert.equal(run.errors, 0);
    assert.deepEqual(run.statuses, { 200: 20, 201: 20, 204: 20 });
    assert.equal(run.samples, 60);
    const byPath = new Map(server.received.map((r) => [r.path, r]));
    for (let i = 0; i < 60; i++) {
      const expected = make(i);
      assert.equal(byPath.get(expected.path)?.body, expected.body, `request ${i}`);
      assert.equal(byPath.get(expected.path)?.signature, `s${i}`);
    }
  } finally {
    await server.close();
  }
});

test("error statuses and closed connections are counted as errors, and the run goes on", { timeout: 10_000 }, async () => {
  const server = await serve((body, res) => {
    const { i } = JSON.parse(body);
    if (i % 5 === 0) {
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end('{"error":"busy"}');
    } else if (i % 5 === 1) {
      // Drops the connection without answering.
      res.socket.destroy();
    } else {
      res.writeHead(200, { "content-length": 2 });
      res.end("ok");
    }
  });
  try {
    const run = await runLoad({ base: server.base, concurrency: 3, requests: 40, make });
    assert.equal(run.statuses[503], 8);
    assert.equal(run.statuses[200], 24);
    assert.equal(run.errors, 16, "8 answered 503 and 8 were dropped");
    assert.equal(run.samples, 40);
  } finally {
    await server.close();
  }
});

test("a server that is not there is an error per request, not a hang", { timeout: 10_000 }, async () => {
  const server = await serve(() => {});
  const { base } = server;
  await server.close();
  const run = await runLoad({ base, concurrency: 2, requests: 6, make });
  assert.equal(run.errors, 6);
  assert.deepEqual(run.statuses, {});
});
