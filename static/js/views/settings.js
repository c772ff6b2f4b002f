// Settings modal: Profile (avatar, username, status), Appearance (theme, background), Security,
// Notifications (notify-settings.js). Security holds the account deletion form (delete-account.js).
import { api, upload } from "../api.js";
import { $, clearErrors, fillAvatar, showFieldErrors, toast } from "../dom.js";
import { getPrefs, setBackground, setTheme } from "../theme.js";
import { setupDeleteAccount } from "./delete-account.js";
import { setupNotificationSettings } from "./notify-settings.js";
import { setupTabs } from "./tabs.js";

export function setupSettings({ store, onProfile, onLogout, onAccountDeleted }) {
  const dialog = $("#settings-dialog");
  const notifications = setupNotificationSettings();
  const tabs = setupTabs(dialog.querySelector('[role="tablist"]'), (tab) => {
    if (tab.id === "stab-notifications") notifications.refresh();
  });
  const profile = $("#spanel-profile");

  const fillProfile = () => {
    const me = store.me;
    fillAvatar($("#settings-avatar"), { name: me.username, image: me.avatar, seed: me.id });
    $("#settings-username").value = me.username;
    $("#settings-status").value = me.status || "";
  };

  $("#btn-settings").addEventListener("click", () => {
    fillProfile();
    for (const form of dialog.querySelectorAll("form")) clearErrors(form);
    const prefs = getPrefs();
    dialog.querySelector(`input[name="theme"][value="${prefs.theme}"]`).checked = true;
    dialog.querySelector(`input[name="chat-bg"][value="${prefs.bg}"]`).checked = true;
    tabs.select(0);
    dialog.showModal();
  });
  for (const button of dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dialog.close());

  profile.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(profile);
    const username = $("#settings-username").value.trim();
    const status = $("#settings-status").value.trim();
    try {
      let me = store.me;
      if (username !== me.username) me = await api.changeUsername(username);
      if (status !== (me.status || "")) me = await api.updateMe({ status });
      onProfile(me);
      const msg = profile.querySelector("[data-form-msg]");
      msg.textContent = "Saved";
    } catch (error) {
      showFieldErrors(profile, error);
    }
  });

  $("#avatar-change").addEventListener("click", () => $("#avatar-input").click());
  $("#avatar-input").addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const msg = profile.querySelector("[data-form-msg]");
    msg.textContent = "Uploading…";
    try {
      const result = await upload(file).promise;
      const me = await api.updateMe({ avatar: result.url });
      onProfile(me);
      fillProfile();
      msg.textContent = "Avatar updated";
    } catch (error) {
      msg.textContent = "";
      showFieldErrors(profile, error);
    }
  });

  for (const input of dialog.querySelectorAll('input[name="theme"]'))
    input.addEventListener("change", () => setTheme(input.value));
  for (const input of dialog.querySelectorAll('input[name="chat-bg"]'))
    input.addEventListener("change", () => setBackground(input.value));

  const emailForm = $("#form-email");
  emailForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(emailForm);
    try {
      const me = await api.changeEmail($("#sec-email").value.trim(), $("#sec-email-password").value);
      onProfile(me);
      emailForm.reset();
      emailForm.querySelector("[data-form-msg]").textContent = "Email updated";
    } catch (error) {
      showFieldErrors(emailForm, error);
    }
  });

  const passwordForm = $("#form-password");
  passwordForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(passwordForm);
    try {
      // Every older token (this one included) is now refused; the API switches to the fresh one.
      await api.changePassword($("#sec-current").value, $("#sec-new").value);
      passwordForm.reset();
      passwordForm.querySelector("[data-form-msg]").textContent = "Password updated";
      toast("Password updated");
    } catch (error) {
      showFieldErrors(passwordForm, error);
    }
  });

  setupDeleteAccount({ onDeleted: onAccountDeleted });
  $("#btn-logout").addEventListener("click", onLogout);
}
