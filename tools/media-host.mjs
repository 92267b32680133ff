// A local file host on 127.0.0.1 standing in for where providers keep media: a gateway's S3
// bucket, Meta's short-lived CDN links. Files are served with their type and length; tests
// script failures per file, require a bearer token, or let a link expire after its first use.
import { createServer } from "node:http";
import { callLog } from "./call-log.mjs";

export async function startMediaHost({ port = 0 } = {}) {
  const files = new Map(); // path → { bytes, type, token, failures: [status…], expiresAfter }
  const log = callLog("media host");
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://host").pathname;
    const file = files.get(path);
    log.record({ method: req.method, path, authorization: req.headers.authorization, at: Date.now() });
    const answer = (status, body = "", headers = {}) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    if (!file) return answer(404, "not found");
    if (file.token && req.headers.authorization !== `Bearer ${file.token}`) return answer(401, "unauthorized");
    const failure = file.failures.shift();
    if (failure) return answer(failure, "try again later");
    if (file.expiresAfter !== undefined && file.served >= file.expiresAfter) return answer(404, "URL signature expired");
    file.served += 1;
    answer(200, file.bytes, { "content-type": file.type, "content-length": String(file.bytes.length) });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    baseUrl,
    calls: log.calls,
    waitFor: log.waitFor,
    /**
     * Serves `bytes` at `path` as `type`; returns its URL. `failures`: statuses answered first;
     * `token`: a bearer token required; `expiresAfter`: downloads before the link answers 404.
     */
    put(path, bytes, type, { failures = [], token, expiresAfter } = {}) {
      files.set(path, { bytes: Buffer.from(bytes), type, failures: [...failures], token, expiresAfter, served: 0 });
      return `${baseUrl}${path}`;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
