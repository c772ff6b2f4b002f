// The room's pinned messages, from the header's pin button: newest pin first, each a button that
// jumps to the message at its own address. Reloaded while open when a pin comes or goes.
import { api } from "../api.js";
import { $, avatar, h } from "../dom.js";
import { clock } from "../time.js";

/** `onJump(roomId, messageId)` opens the room at the message. Returns {refresh(roomId), close()}. */
export function setupPins({ store, onJump }) {
  const button = $("#btn-pins");
  const panel = $("#pins-panel");
  const list = $("#pins-list");
  let roomShown = null;
  let loads = 0;

  async function load(roomId) {
    const mine = ++loads;
    list.replaceChildren(h("li", { class: "pins-empty" }, "Loading…"));
    let pins;
    try {
      pins = (await api.pins(roomId)).data || [];
    } catch (error) {
      if (mine === loads) list.replaceChildren(h("li", { class: "pins-empty" }, error.message));
      return;
    }
    if (mine !== loads || roomShown !== roomId) return; // a later load, or the panel moved on
    if (!pins.length) {
      list.replaceChildren(h("li", { class: "pins-empty" }, "Nothing pinned yet. Pin a message from its actions."));
      return;
    }
    list.replaceChildren(...pins.map((pin) => pinItem(pin, () => jump(pin))));
  }

  function jump(pin) {
    close();
    onJump(pin.room_id, pin.id);
  }

  function open() {
    roomShown = store.activeRoomId;
    if (!roomShown) return;
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    load(roomShown);
    $("#pins-close").focus();
  }

  function close() {
    if (panel.hidden) return;
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    roomShown = null;
    button.setAttribute("aria-expanded", "false");
    if (hadFocus) button.focus();
  }

  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  $("#pins-close").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      close();
    }
  });
  return {
    refresh(roomId) {
      if (!panel.hidden && roomId === roomShown) load(roomId);
    },
    close,
  };
}

function pinItem(pin, onClick) {
  const sender = pin.sender || { username: "unknown" };
  const by = pin.pinned_by?.username ? `Pinned by ${pin.pinned_by.username}` : "Pinned";
  return h(
    "li",
    { class: "pin-item", dataset: { id: pin.id } },
    h(
      "button",
      { type: "button", class: "pin-jump", "aria-label": `Jump to ${sender.username}'s message`, onclick: onClick },
      avatar({ name: sender.username, image: sender.avatar, seed: pin.sender_id }, "avatar-sm"),
      h(
        "span",
        { class: "pin-text" },
        h("span", { class: "pin-meta" }, h("strong", { dir: "auto" }, sender.username), " · ", clock(pin.created_at)),
        // The raw text, not the rendered body: links inside this button would be buttons in a button.
        h("span", { class: "pin-body", dir: "auto" }, pin.content || pin.file_name || "Attachment"),
        h("span", { class: "pin-by" }, by),
      ),
    ),
  );
}
