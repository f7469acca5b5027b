// The API client the console and the capture page share: the access-token header, the Oz error
// body turned into an Error carrying `error_message`, and a session that refreshes itself a
// minute before it would idle out.

/** An answer with the Oz error body: `message` is its `error_message`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error_message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error_code ?? null;
    this.details = body?.error_details ?? null;
  }
}

const SESSION_KEY = "oz-session";

export class Api {
  /** `base`: the API's origin ("" = this page's); `token`: an access token to start with. */
  constructor({ base = "", token = null, store = null } = {}) {
    this.base = base;
    this.store = store; // sessionStorage for the console; none for an embedded capture
    this.session = token ? { access_token: token } : this.load();
    this.timer = null;
    this.onLogout = () => {};
    this.schedule();
  }

  load() {
    try {
      return JSON.parse(this.store?.getItem(SESSION_KEY) || "null");
    } catch {
      return null;
    }
  }

  save(session) {
    this.session = session;
    if (session) this.store?.setItem(SESSION_KEY, JSON.stringify(session));
    else this.store?.removeItem(SESSION_KEY);
    this.schedule();
  }

  get user() {
    return this.session?.user ?? null;
  }

  /** Refresh a minute before `expire_date`, or at once if that is past. */
  schedule() {
    clearTimeout(this.timer);
    const at = this.session?.expire_date;
    if (!at || !this.session?.expire_token) return;
    const wait = Math.max(0, at * 1000 - Date.now() - 60_000);
    this.timer = setTimeout(() => this.refresh().catch(() => this.expired()), Math.min(wait, 2 ** 31 - 1));
  }

  expired() {
    this.save(null);
    this.onLogout();
  }

  async request(method, path, { json, form, body, query, headers = {} } = {}) {
    const url = new URL(this.base + path, location.href);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const h = { ...headers };
    if (this.session?.access_token) h["X-Forensic-Access-Token"] = this.session.access_token;
    let payload = body;
    if (json !== undefined) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    } else if (form) {
      payload = form;
    }
    const res = await fetch(url, { method, headers: h, body: payload });
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const err = new ApiError(res.status, data);
      if (res.status === 401 && path !== "/api/authorize/auth" && this.session?.expire_token) this.expired();
      throw err;
    }
    return data;
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }

  async login(email, password) {
    const s = await this.request("POST", "/api/authorize/auth", { json: { credentials: { email, password } } });
    this.save(s);
    return s;
  }

  async refresh() {
    const s = await this.request("POST", "/api/authorize/refresh", {
      json: { expire_token: this.session.expire_token },
    });
    this.save({ ...s, user: s.user ?? this.session.user });
    return s;
  }

  async logout() {
    try {
      await this.request("DELETE", "/api/authorize/auth");
    } finally {
      clearTimeout(this.timer);
      this.save(null);
    }
  }
}

/** The multipart body Oz expects: files under form keys and one JSON `payload` part. */
export function folderForm(files, payload) {
  const form = new FormData();
  for (const [key, file, name] of files) form.append(key, file, name ?? file.name ?? key);
  form.append("payload", JSON.stringify(payload));
  return form;
}

/** Polls the folder until every analysis of `ids` has left PROCESSING; resolves to the folder. */
export async function waitForAnalyses(api, folderId, ids, { timeoutMs = 180_000, everyMs = 1000 } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const folder = await api.get(`/api/folders/${folderId}`, { with_analyses: "true" });
    const mine = (folder.analyses || []).filter((a) => ids.includes(a.analyse_id));
    if (mine.length === ids.length && mine.every((a) => a.state !== "PROCESSING")) return folder;
    if (Date.now() > until) throw new Error("the analyses did not finish in time");
    await new Promise((ok) => setTimeout(ok, everyMs));
  }
}
