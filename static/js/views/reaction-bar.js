// The reactions under a message: one button per emoji with its count (mine highlighted, who
// reacted in the title), a click toggles mine; the smile button opens the picker to add one.
import { h, icon } from "../dom.js";
import { hasReacted, reactorNames } from "../reactions.js";
import { openEmojiPicker } from "./emoji-picker.js";

/**
 * `nameOf(userId)`: a name the client knows, or null. `onToggle(message, emoji, on)`: add (on) or
 * take back my reaction. Null for a message nobody can react to yet.
 */
export function reactionBar(message, { meId, nameOf, onToggle }) {
  if (message.pending || message.is_deleted || message.type === "system") return null;
  const reactions = Array.isArray(message.reactions) ? message.reactions : [];
  const bar = h("div", { class: "reactions", role: "group", "aria-label": "Reactions" });
  for (const reaction of reactions) {
    const mine = hasReacted(reactions, reaction.emoji, meId);
    const who = reactorNames(reaction, nameOf, meId);
    bar.append(
      h(
        "button",
        {
          type: "button",
          class: mine ? "reaction is-mine" : "reaction",
          "aria-pressed": String(mine),
          "aria-label": `${reaction.emoji} ${reaction.count}: ${who}`,
          title: who,
          dataset: { emoji: reaction.emoji },
          onclick: () => onToggle(message, reaction.emoji, !mine),
        },
        h("span", { class: "reaction-emoji" }, reaction.emoji),
        h("span", { class: "reaction-count" }, String(reaction.count)),
      ),
    );
  }
  if (reactions.length) bar.append(addButton(message, meId, onToggle, "reaction-add"));
  return bar;
}

/** The smile button: picks an emoji and toggles it (picking one I have takes it back). */
export function addButton(message, meId, onToggle, cls = "icon-btn icon-btn-sm") {
  const button = h(
    "button",
    { type: "button", class: cls, "aria-label": "Add reaction", title: "Add reaction", "aria-haspopup": "dialog" },
    icon("smile"),
  );
  button.addEventListener("click", () =>
    openEmojiPicker(button, (emoji) => onToggle(message, emoji, !hasReacted(message.reactions, emoji, meId))),
  );
  return button;
}
