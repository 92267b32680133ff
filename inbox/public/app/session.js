// Signing in and calling the API. An API key is exchanged for a short-lived JWT (POST
// /v1/tokens) and kept only in this tab's session storage, to mint the next token before the
// current one expires; it never goes into a URL. A pasted token is used until it expires.

const STORE = "ponte.session";
const TOKEN_TTL_SECONDS = 3600;
const REFRESH_BEFORE_MS = 5 * 60 * 1000;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

export class Session {
  constructor(state) {
    this.state = state; // {name, apiKey?, token, expiresAt, role}
    this.onExpired = () => {};
    this.refreshing = null;
  }

  static restore() {
    try {
      const state = JSON.parse(sessionStorage.getItem(STORE));
      return state?.token ? new Session(state) : null;
    } catch {
      return null;
    }
  }

  /** A secret that looks like a JWT is used as one; anything else is taken for an API key. */
  static async signIn(name, secret) {
    const session = new Session({ name });
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(secret)) {
      const claims = claimsOf(secret);
      if (!claims?.exp) throw new ApiError(400, { detail: "that token cannot be read" });
      session.state = { name, token: secret, expiresAt: claims.exp * 1000, role: claims.role };
      await session.api("GET", "/v1/conversations?limit=1");
    } else {
      session.state.apiKey = secret;
      await session.mint();
    }
    session.save();
    return session;
  }

  get role() {
    return this.state.role;
  }

  save() {
    sessionStorage.setItem(STORE, JSON.stringify(this.state));
  }

  signOut() {
    sessionStorage.removeItem(STORE);
    this.state = {};
  }

  async mint() {
    const res = await fetch("/v1/tokens", {
      method: "POST",
      headers: { authorization: `Bearer ${this.state.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ sub: this.state.name || "agent", role: "admin", ttl_seconds: TOKEN_TTL_SECONDS }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, body);
    this.state.token = body.token;
    this.state.expiresAt = body.expires_at;
    this.state.role = body.claims?.role;
    this.save();
  }

  /** A token valid for a while yet: minted again when close to expiry, if a key is at hand. */
  async token() {
    const left = (this.state.expiresAt ?? 0) - Date.now();
    if (left < REFRESH_BEFORE_MS && this.state.apiKey) {
      this.refreshing ??= this.mint().finally(() => (this.refreshing = null));
      await this.refreshing;
    } else if (left <= 0) {
      this.onExpired();
      throw new ApiError(401, { detail: "the session has expired; sign in again" });
    }
    return this.state.token;
  }

  /** Calls the API; answers the parsed JSON, or throws ApiError with the problem's detail. */
  async api(method, path, body, { headers = {}, raw } = {}) {
    const init = { method, headers: { authorization: `Bearer ${await this.token()}`, ...headers } };
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { detail: text };
    }
    if (res.status === 401) this.onExpired();
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed;
  }
}
