// The WebSocket client: first-message auth (never a token in the URL), reconnect with exponential
// backoff and full jitter, a heartbeat, and a "ready" event on every (re)authentication so the app
// can recover whatever it missed while away: on every (re)authentication it sends `resume` with
// the newest message id of every room (the server closes with 1001 or 4503 when a socket must
// reconnect and resume).

const MAX_DELAY_MS = 15000;
const BASE_DELAY_MS = 500;
const PING_EVERY_MS = 25000;

export class ChatSocket extends EventTarget {
  /**
   * getToken() -> the token to authenticate with; resumePoints() -> {room_id: last id or null};
   * onUnauthorized(usedToken) -> a promise of true to reconnect (the token was replaced meanwhile).
   */
  constructor({ getToken, resumePoints = () => ({}), url = null, onUnauthorized = async () => false }) {
    super();
    this.getToken = getToken;
    this.resumePoints = resumePoints;
    this.usedToken = null;
    this.url = url || `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/api/v1/ws`;
    this.onUnauthorized = onUnauthorized;
    this.ws = null;
    this.attempt = 0;
    this.ready = false;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.state = "idle";
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, attempt: this.attempt } }));
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.ready = false;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    ws.addEventListener("message", (event) => this.onFrame(ws, event));
    ws.addEventListener("close", (event) => this.onClose(ws, event));
    ws.addEventListener("error", () => {}); // a close event follows; handled there
  }

  onFrame(ws, event) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const { type, payload = {} } = frame || {};
    if (type === "auth_required") {
      ws.usedToken = this.getToken();
      ws.send(JSON.stringify({ type: "auth", payload: { token: ws.usedToken } }));
      return;
    }
    if (!this.ready && type !== "error") {
      // The first event after auth (the server's own `user_online`) means we are in.
      this.ready = true;
      this.attempt = 0;
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
      Promise.resolve(this.onUnauthorized(ws.usedToken)).then((again) => {
        if (again && !this.stopped && !this.ws) this.connect();
        else if (!again) this.setState("closed");
      });
      return;
    }
    this.attempt += 1;
    const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(this.attempt - 1, 8));
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
    this.setState("reconnecting");
    this.retryTimer = setTimeout(() => this.connect(), delay);
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
    this.pingTimer = setInterval(() => this.send("ping"), PING_EVERY_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
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
