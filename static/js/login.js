// The login / register page.
import { api } from "./api.js";
import { getToken, setToken, takeEndedReason, takeNextPath } from "./auth.js";
import { $, clearErrors, showFieldErrors } from "./dom.js";
import { finishSsoSignIn, setupSso } from "./sso.js";
import { setupRecovery } from "./views/recovery.js";
import { setupTabs } from "./views/tabs.js";

if (getToken()) window.location.replace(takeNextPath());
else finishSsoSignIn();
setupSso();

// Sent here because the server refused the session (revoked, expired, password changed elsewhere).
const ended = takeEndedReason();
if (ended) {
  $("#session-ended [data-reason]").textContent = ended;
  $("#session-ended").hidden = false;
}

setupTabs($(".segmented"), (tab) => {
  const panel = document.getElementById(tab.getAttribute("aria-controls"));
  panel.querySelector("input")?.focus();
});

function showError(form, error) {
  if (error.status === 429) {
    const box = form.querySelector("[data-form-error]");
    let left = error.retryAfter || 60;
    const tick = () => {
      box.textContent = `Too many attempts, try again in ${left} s`;
      box.hidden = false;
      if (left-- > 0) setTimeout(tick, 1000);
      else box.hidden = true;
    };
    clearErrors(form);
    tick();
    return;
  }
  showFieldErrors(form, error);
  form.querySelector('[aria-invalid="true"]')?.focus();
}

async function submit(form, call) {
  clearErrors(form);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const result = await call();
    setToken(result.token, form.querySelector('input[name="remember"]')?.checked ?? true);
    window.location.replace(takeNextPath());
  } catch (error) {
    showError(form, error);
  } finally {
    button.disabled = false;
  }
}

$("#form-signin").addEventListener("submit", (e) => {
  e.preventDefault();
  const identifier = $("#login-identifier").value.trim();
  const password = $("#login-password").value;
  const body = identifier.includes("@") ? { email: identifier, password } : { username: identifier, password };
  submit(e.target, () => api.login(body));
});

// /join/<code>: the invitation's page is this one, opened at "Create Account" with the code.
const invite = window.location.pathname.match(/^\/join\/([\w-]+)$/)?.[1];
if (invite) {
  $("#tab-register").click();
  $("#reg-invited").hidden = false;
}

$("#form-register").addEventListener("submit", (e) => {
  e.preventDefault();
  submit(e.target, () =>
    api.register({
      username: $("#reg-username").value.trim(),
      email: $("#reg-email").value.trim(),
      password: $("#reg-password").value,
      ...(invite ? { invite_code: invite } : {}),
    }),
  );
});

setupRecovery({ submit, showError });
