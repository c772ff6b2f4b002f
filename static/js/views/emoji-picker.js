// The emoji picker: a popover with a search field over the built-in set. Type to filter, arrow
// keys move through the grid, Enter picks, Escape closes and gives the focus back.

import { h } from "../dom.js";
import { searchEmoji } from "../emoji-data.js";

const COLUMNS = 8;
let open = null; // {panel, anchor, onOutside}

/** Opens the picker by `anchor` (the button that opened it); `onPick(emoji)` on a choice. */
export function openEmojiPicker(anchor, onPick) {
  const wasOpenHere = open?.anchor === anchor;
  closeEmojiPicker();
  if (wasOpenHere) return;
  const search = h("input", {
    type: "search",
    class: "emoji-search",
    placeholder: "Search emoji",
    "aria-label": "Search emoji",
  });
  const grid = h("div", { class: "emoji-grid", role: "grid", "aria-label": "Emoji" });
  const panel = h("div", { class: "emoji-picker", role: "dialog", "aria-label": "Pick a reaction" }, search, grid);
  const pick = (emoji) => {
    closeEmojiPicker();
    onPick(emoji);
  };
  const fill = () => {
    const found = searchEmoji(search.value);
    grid.replaceChildren(
      ...found.map(([emoji, names]) =>
        h(
          "button",
          {
            type: "button",
            class: "emoji-option",
            title: names.split(" ").slice(0, 3).join(" "),
            "aria-label": names,
            onclick: () => pick(emoji),
          },
          emoji,
        ),
      ),
    );
    if (!found.length) grid.append(h("p", { class: "emoji-none" }, "No emoji found"));
  };
  search.addEventListener("input", fill);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      grid.querySelector("button")?.click();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      grid.querySelector("button")?.focus();
    }
  });
  grid.addEventListener("keydown", (event) => moveInGrid(event, grid, search));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeEmojiPicker();
    }
  });
  fill();
  document.body.append(panel);
  place(panel, anchor);
  const onOutside = (event) => {
    if (!panel.contains(event.target) && !anchor.contains(event.target)) closeEmojiPicker();
  };
  document.addEventListener("pointerdown", onOutside, true);
  open = { panel, anchor, onOutside };
  search.focus();
}

export function closeEmojiPicker() {
  if (!open) return;
  const { panel, anchor, onOutside } = open;
  open = null;
  document.removeEventListener("pointerdown", onOutside, true);
  const hadFocus = panel.contains(document.activeElement);
  panel.remove();
  if (hadFocus && anchor.isConnected) anchor.focus();
}

function moveInGrid(event, grid, search) {
  const buttons = [...grid.querySelectorAll("button")];
  const at = buttons.indexOf(document.activeElement);
  if (at === -1) return;
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[event.key];
  if (!step) return;
  event.preventDefault();
  const next = at + step;
  if (next < 0) search.focus();
  else buttons[Math.min(next, buttons.length - 1)].focus();
}

// Below the anchor where it fits, else above it; kept inside the window.
function place(panel, anchor) {
  const box = anchor.getBoundingClientRect();
  const { offsetWidth: width, offsetHeight: height } = panel;
  const left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
  const below = box.bottom + 6;
  const top = below + height < window.innerHeight ? below : Math.max(8, box.top - height - 6);
  panel.style.left = `${left}px`;
  panel.style.top = `${top}px`;
}
