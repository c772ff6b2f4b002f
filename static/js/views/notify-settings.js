// Settings → Notifications: this browser's push subscription (a button that asks for permission
// only when pressed, and says whether push is on, off or blocked) and the mention sound toggle.
import { $, toast } from "../dom.js";
import { pushState, turnPushOff, turnPushOn } from "../push.js";
import { setSoundEnabled, soundEnabled } from "../sound.js";

const TEXT = {
  on: "On: this browser shows your notifications while ChatApp is closed.",
  off: "Off: turn on to be notified while ChatApp is closed.",
  blocked: "Blocked by the browser. Allow notifications for this site in the browser's site settings, then come back.",
  unavailable: "Notifications are not set up on this server.",
  unsupported: "This browser cannot show notifications from ChatApp.",
};

export function setupNotificationSettings() {
  const row = $("#push-setting");
  const text = $("#push-state");
  const button = $("#btn-push");
  const sound = $("#mention-sound");

  const show = (state) => {
    row.dataset.state = state;
    text.textContent = TEXT[state] || "";
    button.hidden = state !== "on" && state !== "off";
    button.textContent = state === "on" ? "Turn off" : "Turn on";
    button.classList.toggle("btn-primary", state === "off");
    button.classList.toggle("btn-secondary", state === "on");
  };

  async function refresh() {
    sound.checked = soundEnabled();
    show(await pushState());
  }

  button.addEventListener("click", async () => {
    const turningOn = row.dataset.state !== "on";
    button.disabled = true;
    try {
      show(turningOn ? await turnPushOn() : await turnPushOff());
    } catch (error) {
      // The push service refused (no network, a browser without a push service): say so.
      toast(`Notifications could not be turned ${turningOn ? "on" : "off"}: ${error.message}`, "error");
      show(await pushState());
    } finally {
      button.disabled = false;
    }
  });
  sound.addEventListener("change", () => setSoundEnabled(sound.checked));

  return { refresh };
}
