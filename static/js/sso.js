// Single sign-on on the login page: the provider's button (when the server has one), and the way
// back from the provider: a one-time code in the address's fragment, traded for a token over POST.
// The token itself never appears in an address.
import { api } from "./api.js";
import { setToken, takeNextPath } from "./auth.js";
import { $ } from "./dom.js";

const REMEMBER_KEY = "chatapp.ssoRemember"; // "Remember me" as ticked when the button was pressed

function showError(message) {
  const box = $("#sso-error");
  box.textContent = message;
  box.hidden = false;
  $("#sso").hidden = false;
}

/** Finishes a sign-in the provider sent back here; true when the page is moving on to the app. */
export async function finishSsoSignIn() {
  const code = new URLSearchParams(window.location.hash.slice(1)).get("sso_code");
  if (!code) return false;
  // Out of the address bar and the history at once: single use, but nobody's business either.
  history.replaceState(null, "", window.location.pathname);
  try {
    const result = await api.ssoExchange(code);
    setToken(result.token, sessionStorage.getItem(REMEMBER_KEY) === "1");
    sessionStorage.removeItem(REMEMBER_KEY);
    window.location.replace(takeNextPath());
    return true;
  } catch (error) {
    showError(`Single sign-on failed: ${error.message}`);
    return false;
  }
}

/** Shows the provider's button, and hides password sign-in where the server turned it off. */
export async function setupSso() {
  let providers;
  try {
    providers = await api.authProviders();
  } catch {
    return; // an older server, or offline: password sign-in as before
  }
  const [provider] = providers.sso;
  if (provider) {
    const link = $("#sso-button");
    link.textContent = provider.label;
    link.href = provider.start_url;
    link.addEventListener("click", () => {
      sessionStorage.setItem(REMEMBER_KEY, $("#login-remember").checked ? "1" : "0");
    });
    $("#sso").hidden = false;
  }
  if (!providers.password) {
    for (const element of document.querySelectorAll(".segmented, .auth-form, [data-with-password]")) {
      element.hidden = true;
    }
  }
}
