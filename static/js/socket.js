// The WebSocket client: first-message auth (never a token in the URL), reconnect with exponential
// backoff and full jitter, a heartbeat, and a "ready" event on every (re)authentication so the app
// can recover whatever it missed while away: on every (re)authentication it sends `resume` with
// the newest message id of every room (the server closes with 1001 or 4503 when a socket must
// reconnect and resume).
//
// A connection can die without a close event (a laptop lid, a dropped Wi-Fi): every frame proves
// it alive, and a ping left unanswered for `pongTimeoutMs` ends it as a network failure would.
// A handshake that fails is either the server unreachable or the server refusing the socket (a
// browser is not told the 403): a REST probe of /health tells the two apart.

const MAX_DELAY_MS = 15000;
const BASE_DELAY_MS = 500;
const DEFAULTS = { pingEveryMs: 25000, pongTimeoutMs: 10000 };
const CLOSE_NO_PONG = 4408;

/** The heartbeat timings; a page may shorten them (the browser tests do) by setting
 * `window.chatAppSocketSettings` before the app starts. */
function timings() {
  return { ...DEFAULTS, ...(window.chatAppSocketSettings || {}) };
}

/** "refused" when the server answers plain HTTP but did not take the socket, else "unreachable". */
async function probeRefusal() {
  try {
    const response = await fetch("/health", {
      cache: "no-store",
      credentials: "omit",
      signal: AbortSignal.timeout(5000),
    });
    return response.ok ? "refused" : "unreachable";
  } catch {
    return "unreachable";
  }
}

export class ChatSocket extends EventTarget {
  /**
   * getToken() -> the token to authenticate with; resumePoints() -> {room_id: last id or null};
   * onUnauthorized(usedToken, reason) -> a promise of true to reconnect (the token was replaced meanwhile).
   */
  constructor({ getToken, resumePoints = () => ({}), url = null, onUnauthorized = async () => false }) {
    super();
    this.getToken = getToken;
    this.resumePoints = resumePoints;
    this.usedToken = null;
    // ?resume=1: the server holds live messages until our `resume` (sent first thing) is replayed,
    // so none arrives ahead of older ones it replays.
    this.url =
      url || `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/api/v1/ws?resume=1`;
    this.onUnauthorized = onUnauthorized;
    this.ws = null;
    this.attempt = 0;
    this.ready = false;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.state = "idle";
    this.announced = "";
    this.reason = null; // why the last handshake failed: "refused" | "unreachable" | null
    this.probe = probeRefusal;
  }

  /** Announces the state, and every further failed attempt while reconnecting (the banner counts them). */
  setState(state) {
    if (this.state === state && this.announced === `${this.attempt}:${this.reason}`) return;
    this.state = state;
    this.announced = `${this.attempt}:${this.reason}`;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, attempt: this.attempt, reason: this.reason } }));
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.ready = false;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    ws.addEventListener("open", () => {
      ws.opened = true;
    });
    ws.addEventListener("message", (event) => this.onFrame(ws, event));
    ws.addEventListener("close", (event) => this.onClose(ws, event));
    ws.addEventListener("error", () => {}); // a close event follows; handled there
  }

  onFrame(ws, event) {
    if (ws !== this.ws) return;
    clearTimeout(this.pongTimer); // any frame proves the connection alive
    this.pongTimer = null;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const { type, payload = {} } = frame || {};
    if (type === "error") ws.refusal = payload.error; // the server says why before closing with 4401
    if (type === "auth_required") {
      ws.usedToken = this.getToken();
      ws.send(JSON.stringify({ type: "auth", payload: { token: ws.usedToken } }));
      return;
    }
    if (!this.ready && type !== "error") {
      // The first event after auth (the server's own `user_online`) means we are in.
      this.ready = true;
      this.attempt = 0;
      this.reason = null;
      this.setState("open");
      this.startPing();
      this.resume();
      this.dispatchEvent(new CustomEvent("ready"));
    }
    this.dispatchEvent(new CustomEvent("event", { detail: { type, payload } }));
  }

  onClose(ws, event) {
    if (ws !== this.ws) return;
    this.stopPing();
    this.ready = false;
    this.ws = null;
    if (this.stopped) {
      this.setState("closed");
      return;
    }
    if (event.code === 4401) {
      // Refused token. A password change in this tab revokes it on purpose and hands us a fresh
      // one: then reconnect at once; otherwise the session is over.
      this.setState("reconnecting");
      Promise.resolve(this.onUnauthorized(ws.usedToken, ws.refusal || event.reason)).then((again) => {
        if (again && !this.stopped && !this.ws) this.connect();
        else if (!again) this.setState("closed");
      });
      return;
    }
    this.attempt += 1;
    const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(this.attempt - 1, 8));
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
    if (ws.opened) this.reason = null;
    this.setState("reconnecting");
    this.retryTimer = setTimeout(() => this.connect(), delay);
    if (!ws.opened) {
      const attempt = this.attempt;
      this.probe().then((reason) => {
        if (this.state !== "reconnecting" || this.attempt !== attempt || this.reason === reason) return;
        this.reason = reason;
        this.setState("reconnecting");
      });
    }
  }

  /** Asks the server for everything after the newest message we hold in each room. */
  resume() {
    this.send("resume", { rooms: this.resumePoints() });
  }

  /** Sends an event if the socket is authenticated; returns whether it was sent. */
  send(type, payload = {}) {
    if (!this.ws || !this.ready || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ type, payload }));
    return true;
  }

  startPing() {
    this.stopPing();
    const { pingEveryMs, pongTimeoutMs } = timings();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!this.send("ping") || this.pongTimer) return;
      this.pongTimer = setTimeout(() => this.dead(ws), pongTimeoutMs);
    }, pingEveryMs);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  /** No reply in time: give the socket up now (its close event may take minutes) and reconnect. */
  dead(ws) {
    if (ws !== this.ws) return;
    this.onClose(ws, { code: CLOSE_NO_PONG });
    ws.close(CLOSE_NO_PONG, "no pong");
  }

  /** Drops the current connection as a network failure would (used by tests and on `online`). */
  drop() {
    if (this.ws) this.ws.close(4000, "client reconnect");
  }

  reconnectNow() {
    if (this.state === "reconnecting" && !this.ws) {
      clearTimeout(this.retryTimer);
      this.connect();
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopPing();
    if (this.ws) this.ws.close(1000, "bye");
  }
}
