// Where the token lives: sessionStorage for this tab, localStorage too when "remember me" is ticked.
const KEY = "chatapp.token";

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

/** A request or socket refused `usedToken`: carry on if it has been replaced since, else sign out. */
export async function tokenRefused(usedToken) {
  await settleTokenChange();
  const current = getToken();
  if (current && current !== usedToken) return current;
  goToLogin();
  return null;
}

export function goToLogin() {
  clearToken();
  if (window.location.pathname !== "/login") window.location.replace("/login");
}
