// The realtime socket: every change of the tenant, numbered. It reconnects with backoff after a
// drop, and asks for a re-fetch whenever it may have missed something: a gap in `seq`, or any
// `ready` (the first one covers what happened between the page's load and the socket's start;
// after a drop, events are numbered only while some socket of the tenant is open, so a `ready`
// with the same number can still follow a change this client never saw).

const BACKOFF_START_MS = 500;
const BACKOFF_CAP_MS = 15_000;
const PING_EVERY_MS = 25_000;

export class Live {
  constructor(session, { onEvent, onResync, onOnline }) {
    this.session = session;
    this.handlers = { onEvent, onResync, onOnline };
    this.lastSeq = null;
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
    this.timer = null;
  }

  async start() {
    this.stopped = false;
    clearTimeout(this.timer);
    let token;
    try {
      token = await this.session.token();
    } catch {
      return this.retry();
    }
    const url = new URL("/v1/realtime", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, ["ponte", `bearer.${token}`]);
    this.socket = socket;
    socket.onmessage = (e) => this.received(e.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      clearInterval(this.ping);
      this.handlers.onOnline(false);
      this.retry();
    };
    socket.onopen = () => {
      this.ping = setInterval(() => socket.readyState === 1 && socket.send("ping"), PING_EVERY_MS);
    };
  }

  retry() {
    if (this.stopped) return;
    const wait = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.attempt++);
    this.timer = setTimeout(() => this.start(), wait * (0.5 + Math.random() / 2));
  }

  received(data) {
    if (data === "pong") return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "ready") {
      this.attempt = 0;
      this.handlers.onOnline(true);
      this.lastSeq = frame.seq;
      this.handlers.onResync();
      return;
    }
    if (typeof frame.seq === "number") {
      const gap = this.lastSeq !== null && frame.seq > this.lastSeq + 1;
      this.lastSeq = Math.max(this.lastSeq ?? 0, frame.seq);
      this.handlers.onEvent(frame);
      if (gap) this.handlers.onResync();
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }
}
