// What a message carries besides its text: the pinned marker, the link preview card, the reaction
// bar, and the react and pin buttons among its actions.
import { h, icon } from "../dom.js";
import { linkPreviewCard } from "./link-preview.js";
import { addButton, reactionBar } from "./reaction-bar.js";

export function pinnedMarker(message) {
  if (!message.pinned || message.is_deleted) return null;
  return h("span", { class: "pinned-marker", title: "Pinned", "aria-label": "Pinned" }, icon("pin", "icon icon-xs"));
}

export function previewCard(message) {
  if (message.is_deleted || !message.link_preview) return null;
  return linkPreviewCard(message.link_preview);
}

/** `handlers`: onReact(message, emoji, on), onPin(message, on), nameOf(userId); `meId`. */
export function reactions(message, meId, handlers) {
  return reactionBar(message, { meId, nameOf: handlers.nameOf, onToggle: handlers.onReact });
}

/** The react and pin/unpin buttons for the message's actions. */
export function extraActions(message, meId, handlers) {
  const pinLabel = message.pinned ? "Unpin message" : "Pin message";
  return [
    addButton(message, meId, handlers.onReact),
    h(
      "button",
      {
        type: "button",
        class: message.pinned ? "icon-btn icon-btn-sm is-on" : "icon-btn icon-btn-sm",
        "aria-label": pinLabel,
        title: message.pinned ? "Unpin" : "Pin",
        onclick: () => handlers.onPin(message, !message.pinned),
      },
      icon("pin"),
    ),
  ];
}
