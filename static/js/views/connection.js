// The connection dot in the sidebar and the banner over the page while the socket is down.
import { $ } from "../dom.js";

// Failed attempts before the first connection of a page admits it cannot connect (the first few
// retries take under two seconds together: a server still starting is not worth a banner).
export const BANNER_AFTER_ATTEMPTS = 4;

const LABELS = { open: "Connected", reconnecting: "Reconnecting" };

/** `detail`: the socket's state event ({state, attempt, reason}); `everOpen`: connected before. */
export function showConnection({ state, attempt, reason }, everOpen) {
  const dot = $("#conn-dot");
  dot.dataset.state = state;
  dot.setAttribute("aria-label", LABELS[state] || "Connecting");
  dot.title = dot.getAttribute("aria-label");
  const banner = $("#conn-banner");
  banner.hidden = !(state === "reconnecting" && (everOpen || attempt >= BANNER_AFTER_ATTEMPTS));
  banner.dataset.reason = reason || "";
  let text = everOpen ? "Reconnecting…" : "Can't reach the chat server. Retrying…";
  // A server draining for a restart refuses sockets too, for a few seconds: "refused" only once
  // it has lasted as long as the banner's threshold.
  if (reason === "refused" && attempt >= BANNER_AFTER_ATTEMPTS)
    text =
      "The chat server refused the live connection (its allowed hosts or origins may not include this address). Retrying…";
  banner.querySelector("[data-text]").textContent = text;
}
