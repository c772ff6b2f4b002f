// Where the token lives: sessionStorage for this tab, localStorage too when "remember me" is ticked.
import { workspacePath } from "./routes.js";

const KEY = "chatapp.token";
const ENDED_KEY = "chatapp.sessionEnded";
const NEXT_KEY = "chatapp.next"; // the workspace address to return to after signing in

export function getToken() {
  try {
    return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(token, remember = null) {
  const keep = remember === null ? Boolean(localStorage.getItem(KEY)) : remember;
  sessionStorage.setItem(KEY, token);
  if (keep) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

// A change that replaces the token (a password change revokes every earlier one and returns a
// fresh one). While it is in flight, a 401 or a 4401 close for the old token is expected: callers
// wait for it to settle and carry on with the new token instead of signing the user out.
let tokenChange = null;

export function whileChangingToken(promise) {
  const settled = promise.then(
    () => {},
    () => {},
  );
  tokenChange = settled;
  settled.then(() => {
    if (tokenChange === settled) tokenChange = null;
  });
  return promise;
}

export async function settleTokenChange() {
  while (tokenChange) await tokenChange;
}

/**
 * A request or socket refused `usedToken` (`reason`: the server's words, if any): carry on if it
 * has been replaced since, else sign out and say why on the login page.
 */
export async function tokenRefused(usedToken, reason = "") {
  await settleTokenChange();
  const current = getToken();
  if (current && current !== usedToken) return current;
  goToLogin(reason || "Your session is no longer valid.");
  return null;
}

let leaving = false;

/**
 * Back to the login page; with a `reason`, the page says the session ended and why. The first call
 * wins: a deleted account's socket, closed by the server, must not replace "account deleted" with
 * "token revoked".
 */
export function goToLogin(reason = "") {
  clearToken();
  if (leaving) return;
  leaving = true;
  if (reason) sessionStorage.setItem(ENDED_KEY, reason);
  // A room's or message's address opened while signed out leads back there once signed in.
  const here = workspacePath(window.location.pathname);
  if (here !== "/") sessionStorage.setItem(NEXT_KEY, here);
  if (window.location.pathname !== "/login") window.location.replace("/login");
}

/** Where to go once signed in: the address remembered by goToLogin (once), or "/". */
export function takeNextPath() {
  const path = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return workspacePath(path);
}

/** The reason a session ended, once (the login page shows it and forgets it). */
export function takeEndedReason() {
  const reason = sessionStorage.getItem(ENDED_KEY);
  sessionStorage.removeItem(ENDED_KEY);
  return reason;
}
