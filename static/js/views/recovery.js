// "Forgot password?" on the login page, and /reset-password#uid=…&token=… (the mailed link).
// The link's secrets are in the fragment, which never reaches the server's logs or a Referer.
import { api } from "../api.js";
import { $, clearErrors } from "../dom.js";

function showOnly(form) {
  for (const other of document.querySelectorAll(".auth-form")) other.hidden = other !== form;
  document.querySelector(".segmented").hidden = true;
  form.querySelector("input")?.focus();
}

export function setupRecovery({ submit, showError }) {
  const forgot = $("#form-forgot");
  $("#forgot-open").addEventListener("click", () => showOnly(forgot));
  forgot.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(forgot);
    try {
      const { message } = await api.passwordForgot($("#forgot-email").value.trim());
      const note = forgot.querySelector("[data-sent]");
      note.textContent = message;
      note.hidden = false;
    } catch (error) {
      showError(forgot, error);
    }
  });

  if (window.location.pathname !== "/reset-password") return;
  const params = new URLSearchParams(window.location.hash.slice(1));
  history.replaceState(null, "", "/reset-password"); // the token leaves the address bar
  const reset = $("#form-reset");
  showOnly(reset);
  reset.addEventListener("submit", (e) => {
    e.preventDefault();
    submit(reset, () =>
      api.passwordReset({
        uid: params.get("uid") || "",
        token: params.get("token") || "",
        new_password: $("#reset-password").value,
      }),
    );
  });
}
