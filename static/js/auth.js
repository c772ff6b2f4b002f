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

export function goToLogin() {
  clearToken();
  if (window.location.pathname !== "/login") window.location.replace("/login");
}
