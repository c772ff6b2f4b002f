// REST client for /api/v1: Bearer token, JSON in and out, `{error, fields}` turned into ApiError.
// A 401 on an authenticated call means the token is gone (logout, password change): back to login.
import { getToken, setToken, tokenRefused, whileChangingToken } from "./auth.js";

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    super(body.error || `Request failed (${status})`);
    this.status = status;
    this.fields = body.fields || null;
    this.retryAfter = retryAfter;
  }
}

function handleUnauthorized(status, token, reason) {
  if (status === 401 && token) tokenRefused(token, reason);
}

export async function request(method, path, body = undefined, options = {}) {
  const { auth = true, signal, redirectOn401 = true, timeoutMs = 0 } = options;
  const headers = { Accept: "application/json" };
  const token = auth ? getToken() : "";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: timeoutMs ? anySignal(signal, AbortSignal.timeout(timeoutMs)) : signal,
      credentials: "omit",
    });
  } catch (error) {
    if (error.name === "AbortError" && signal?.aborted) throw error;
    throw new ApiError(0, { error: "Network error: check your connection" });
  }
  let data = {};
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: `Unexpected response (${response.status})` };
    }
  }
  if (!response.ok) {
    // Some endpoints answer 401 for a wrong *current password*: that is a form error, not a logout.
    if (response.status === 401 && token && redirectOn401) {
      // Refused because a password change just replaced the token? Then once more with the new one.
      if (await tokenRefused(token, data.error)) return request(method, path, body, options);
    }
    const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    throw new ApiError(response.status, data, Number.isFinite(retry) ? retry : null);
  }
  return data;
}

function anySignal(...signals) {
  const present = signals.filter(Boolean);
  return present.length === 1 ? present[0] : AbortSignal.any(present);
}

const q = (params) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : "";
};
const id = (value) => encodeURIComponent(value);

export const api = {
  register: (data) => request("POST", "/auth/register", data, { auth: false }),
  login: (data) => request("POST", "/auth/login", data, { auth: false }),
  passwordForgot: (email) => request("POST", "/auth/password/forgot", { email }, { auth: false }),
  passwordReset: (data) => request("POST", "/auth/password/reset", data, { auth: false }),
  authProviders: () => request("GET", "/auth/providers", undefined, { auth: false }),
  ssoExchange: (code) => request("POST", "/auth/sso/exchange", { code }, { auth: false }),
  me: () => request("GET", "/auth/me"),
  updateMe: (data) => request("PATCH", "/auth/me", data),
  logout: () => request("POST", "/auth/logout"),
  changeUsername: (username) => request("PATCH", "/auth/username", { username }),
  changeEmail: (email, current_password) =>
    request("PATCH", "/auth/email", { email, current_password }, { redirectOn401: false }),
  /** Changes the password and switches to the fresh token it returns (every older one is revoked). */
  changePassword: (current_password, new_password) =>
    whileChangingToken(
      request("PATCH", "/auth/password", { current_password, new_password }, { redirectOn401: false }).then(
        (result) => {
          if (result.token) setToken(result.token);
          return result;
        },
      ),
    ),
  /** Deactivates and anonymises the account; a wrong password is a form error (401), not a logout. */
  deleteAccount: (current_password, erase_messages) =>
    request("DELETE", "/auth/me", { current_password, erase_messages }, { redirectOn401: false }),
  searchUsers: (term, opts) => request("GET", `/users/search${q({ q: term })}`, undefined, opts),
  searchMessages: ({ query, cursor, limit = 20 }, opts) =>
    request("GET", `/search${q({ q: query, cursor, limit })}`, undefined, opts),

  publicRooms: (page = 1, limit = 20) => request("GET", `/rooms${q({ page, limit })}`),
  myRooms: () => request("GET", "/rooms/me"),
  room: (roomId) => request("GET", `/rooms/${id(roomId)}`),
  createRoom: (data) => request("POST", "/rooms", data),
  deleteRoom: (roomId) => request("DELETE", `/rooms/${id(roomId)}`),
  joinRoom: (roomId) => request("POST", `/rooms/${id(roomId)}/join`),
  leaveRoom: (roomId) => request("POST", `/rooms/${id(roomId)}/leave`),
  addMember: (roomId, userId) => request("POST", `/rooms/${id(roomId)}/members`, { user_id: userId }),
  messages: (roomId, { before, after, around, limit = 30 } = {}) =>
    request("GET", `/rooms/${id(roomId)}/messages${q({ before, after, around, limit })}`),
  // A send that hangs must not hold up the ones queued behind it; a retry is idempotent.
  sendMessage: (roomId, data) => request("POST", `/rooms/${id(roomId)}/messages`, data, { timeoutMs: 20000 }),
  markRead: (roomId) => request("POST", `/rooms/${id(roomId)}/read`),
  editMessage: (messageId, content) => request("PATCH", `/messages/${id(messageId)}`, { content }),
  deleteMessage: (messageId) => request("DELETE", `/messages/${id(messageId)}`),

  react: (messageId, emoji, on) => request(on ? "PUT" : "DELETE", `/messages/${id(messageId)}/reactions/${id(emoji)}`),
  pins: (roomId) => request("GET", `/rooms/${id(roomId)}/pins`),
  pin: (roomId, messageId, on) => request(on ? "PUT" : "DELETE", `/rooms/${id(roomId)}/pins/${id(messageId)}`),

  setNotifyLevel: (roomId, level) => request("PATCH", `/rooms/${id(roomId)}/notifications`, { level }),

  pushKey: () => request("GET", "/push/key"),
  addPushSubscription: (subscription) => request("POST", "/push/subscriptions", subscription),
  removePushSubscription: (endpoint) => request("DELETE", "/push/subscriptions", { endpoint }),

  // Workspace administration (owners and admins; others get 403).
  adminUsers: ({ query, page = 1, limit = 20 } = {}) => request("GET", `/admin/users${q({ q: query, page, limit })}`),
  adminUpdateUser: (userId, changes) => request("PATCH", `/admin/users/${id(userId)}`, changes),
  adminAudit: (page = 1, limit = 30) => request("GET", `/admin/audit${q({ page, limit })}`),
  invites: () => request("GET", "/invites"),
  createInvite: (data) => request("POST", "/invites", data),
  revokeInvite: (inviteId) => request("DELETE", `/invites/${id(inviteId)}`),

  dms: () => request("GET", "/dm"),
  openDm: (recipientId) => request("POST", "/dm", { recipient_id: recipientId }),
};

/**
 * Multipart upload with progress (fetch has no upload progress, XMLHttpRequest does).
 * Returns {promise, abort}.
 */
export function upload(file, onProgress = () => {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", `${BASE}/upload`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => {
      let data = {};
      try {
        data = JSON.parse(xhr.responseText || "{}");
      } catch {
        data = { error: `Upload failed (${xhr.status})` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        handleUnauthorized(xhr.status, token, data.error);
        reject(new ApiError(xhr.status, data));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, { error: "Upload failed: network error" })));
    xhr.addEventListener("abort", () => reject(new ApiError(0, { error: "Upload cancelled" })));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
