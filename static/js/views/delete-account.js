// Settings → Security → Delete account: the password confirms it (a wrong one is a form error),
// "also erase my messages" is opt-in, and a deleted account is signed out to the login page.
import { api } from "../api.js";
import { whileChangingToken } from "../auth.js";
import { $, clearErrors, showFieldErrors } from "../dom.js";
import { confirmDialog } from "./dialogs.js";

export function setupDeleteAccount({ onDeleted }) {
  const form = $("#form-delete-account");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const password = $("#del-password").value;
    if (!password) {
      showFieldErrors(form, { fields: { current_password: ["Enter your password to confirm."] } });
      return;
    }
    const erase = $("#del-erase").checked;
    const sure = await confirmDialog(
      "Delete your account?",
      erase
        ? "Your account and every message you wrote are deleted. This cannot be undone."
        : "Your account is deleted; your messages stay under a deleted user's name. This cannot be undone.",
      "Delete account",
    );
    if (!sure) return;
    try {
      // The server ends this tab's socket as it deletes: until the answer is in, a refused token is
      // expected (as during a password change), and onDeleted leaves before anything else can.
      await whileChangingToken(api.deleteAccount(password, erase).then(onDeleted));
    } catch (error) {
      showFieldErrors(form, error.status === 401 ? { fields: { current_password: [error.message] } } : error);
    }
  });
}
