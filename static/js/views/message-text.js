// A message's text as DOM: links made clickable and @mentions highlighted (mine stronger), all
// of it text nodes; the ranges come from mentions.js.
import { h, linkify } from "../dom.js";
import { mentionRanges } from "../mentions.js";

export function messageText(message, meId) {
  const text = message.content || "";
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const range of mentionRanges(message, meId)) {
    if (range.start > last) fragment.append(linkify(text.slice(last, range.start)));
    const cls = ["mention", range.me && "is-me", range.room && "is-room"].filter(Boolean).join(" ");
    fragment.append(h("span", { class: cls }, text.slice(range.start, range.end)));
    last = range.end;
  }
  if (last < text.length) fragment.append(linkify(text.slice(last)));
  return fragment;
}
