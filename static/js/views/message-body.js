// A message's body: the server's sanitised `content_html` (the one field ever parsed as HTML in
// this client), or the raw text as text nodes where there is none (an optimistic message, an old
// server). The parsed nodes are then adjusted, never re-serialised: mentions of me made stronger,
// code blocks given a copy button, every link opened apart from this page.
import { h, icon, safeUrl, toast } from "../dom.js";
import { messageText } from "./message-text.js";

/** The body element of `message` (a <div class="msg-text rich">, or the text-only <p>). */
export function messageBody(message, meId) {
  if (typeof message.content_html !== "string" || !message.content_html) {
    return h("p", { class: "msg-text", dir: "auto" }, messageText(message, meId));
  }
  const box = h("div", { class: "msg-text rich", dir: "auto" });
  // DOMParser builds an inert document: nothing in it runs or loads while we take its nodes.
  const parsed = new DOMParser().parseFromString(message.content_html, "text/html");
  box.append(...parsed.body.childNodes);
  for (const span of box.querySelectorAll("span.mention")) markMention(span, meId);
  for (const link of box.querySelectorAll("a")) fixLink(link);
  for (const pre of box.querySelectorAll("pre")) wrapCodeBlock(pre);
  return box;
}

function markMention(span, meId) {
  const room = span.dataset.mention === "room";
  span.classList.toggle("is-room", room);
  span.classList.toggle("is-me", room || (Boolean(meId) && span.dataset.userId === String(meId)));
}

// The server allows http(s) and mailto only; checked again so that a server bug stays harmless.
function fixLink(link) {
  const href = safeUrl(link.getAttribute("href"), ["http:", "https:", "mailto:"]);
  if (!href) {
    link.replaceWith(...link.childNodes);
    return;
  }
  link.setAttribute("href", href);
  link.setAttribute("target", "_blank");
  link.setAttribute("rel", "noopener noreferrer nofollow");
}

function wrapCodeBlock(pre) {
  const code = pre.querySelector("code");
  const language = /language-([\w+#.-]+)/.exec(code?.className || "")?.[1] || "";
  const copy = h(
    "button",
    {
      type: "button",
      class: "icon-btn icon-btn-sm code-copy",
      "aria-label": "Copy code",
      title: "Copy code",
      onclick: () => copyText(pre.textContent),
    },
    icon("copy"),
  );
  const block = h(
    "div",
    { class: "code-block" },
    h("div", { class: "code-head" }, h("span", { class: "code-lang" }, language), copy),
  );
  pre.replaceWith(block);
  block.append(pre);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text.replace(/\n$/, ""));
    toast("Code copied");
  } catch {
    toast("The clipboard is not available here", "error");
  }
}
