// One message as a list item: sender, reply quote, text or attachment, time and tick, and the
// actions (reply, edit, delete, retry) the list passes in. User text is only ever inserted as text.
import { append, avatar, formatBytes, h, icon, safeUrl, toast } from "../dom.js";
import { MAX_MESSAGE_CHARS, messageLength, tooLongText } from "../limits.js";
import { clock } from "../time.js";
import { messageBody } from "./message-body.js";
import { extraActions, pinnedMarker, previewCard, reactions } from "./message-extras.js";

/**
 * `handlers`: onJumpTo(id), onReply(message), onStartEdit(id), onSaveEdit(message, content),
 * onCancelEdit(), onDelete(message), onRetry(message), onOpenImage(url, name), onCopyLink(message),
 * onReact(message, emoji, on), onPin(message, on), nameOf(userId).
 */
export function renderMessage(
  message,
  { mine, grouped, isDm, tick, canModify, editing, highlighted, meId, mentionsMe },
  handlers,
) {
  if (message.type === "system") {
    return h("li", { class: "msg-system", id: `msg-${message.id}` }, message.content);
  }
  const sender = message.sender || { username: "unknown" };
  const li = h("li", {
    class: [
      "msg",
      mine && "is-mine",
      grouped && "is-grouped",
      message.pending && "is-pending",
      message.failed && "is-failed",
      highlighted && "is-highlighted",
      mentionsMe && "mentions-me",
    ]
      .filter(Boolean)
      .join(" "),
    id: `msg-${message.id}`,
    dataset: { id: message.id, sender: sender.username },
  });
  if (!mine && !isDm) {
    li.append(
      grouped
        ? h("span", { class: "avatar-spacer" })
        : avatar({ name: sender.username, image: sender.avatar, seed: message.sender_id }),
    );
  }
  const col = h("div", { class: "msg-col" });
  if (!mine && !grouped && !isDm) col.append(h("div", { class: "msg-sender", dir: "auto" }, sender.username));
  const bubble = h("div", { class: "bubble" });

  if (message.reply_to && !message.is_deleted) {
    const quoted = message.reply_to;
    bubble.append(
      h(
        "button",
        {
          type: "button",
          class: "reply-quote",
          "aria-label": `Reply to ${quoted.sender?.username || "message"}: jump to original`,
          onclick: () => handlers.onJumpTo(quoted.id),
        },
        h("strong", { dir: "auto" }, quoted.sender?.username || ""),
        h("span", { dir: "auto" }, quoted.content || "Attachment"),
      ),
    );
  }

  if (message.is_deleted) {
    bubble.append(h("p", { class: "msg-text is-deleted" }, icon("trash", "icon icon-xs"), " message deleted"));
  } else if (editing) {
    bubble.append(messageEditor(message, handlers));
  } else {
    const attachment = renderAttachment(message, handlers);
    if (attachment) bubble.append(attachment);
    const text = message.content || "";
    if (text && !(message.type !== "text" && text === message.file_name)) {
      bubble.append(messageBody(message, meId));
    }
    const card = previewCard(message);
    if (card) bubble.append(card);
  }

  const meta = h("div", { class: "msg-meta" }, pinnedMarker(message));
  if (message.is_edited && !message.is_deleted) meta.append(h("span", { class: "edited" }, "(edited)"));
  meta.append(
    h(
      "time",
      { datetime: message.created_at, title: new Date(message.created_at).toLocaleString() },
      clock(message.created_at),
    ),
  );
  if (tick) meta.append(renderTick(tick));
  bubble.append(meta);
  append(col, [bubble, reactions(message, meId, handlers)]);
  if (message.failed) {
    col.append(
      h(
        "div",
        { class: "msg-failed" },
        "Not sent. ",
        h("button", { type: "button", class: "link-btn", onclick: () => handlers.onRetry(message) }, "Retry"),
      ),
    );
  }
  li.append(col);

  if (!message.pending && !message.is_deleted && !editing) {
    const actions = h("div", { class: "msg-actions", role: "group", "aria-label": "Message actions" });
    actions.append(
      h(
        "button",
        {
          type: "button",
          class: "icon-btn icon-btn-sm",
          "aria-label": "Reply",
          title: "Reply",
          onclick: () => handlers.onReply(message),
        },
        icon("reply"),
      ),
      h(
        "button",
        {
          type: "button",
          class: "icon-btn icon-btn-sm",
          "aria-label": "Copy link",
          title: "Copy link to this message",
          onclick: () => handlers.onCopyLink(message),
        },
        icon("link"),
      ),
      ...extraActions(message, meId, handlers),
    );
    if (canModify) {
      actions.append(
        h(
          "button",
          {
            type: "button",
            class: "icon-btn icon-btn-sm",
            "aria-label": "Edit message",
            title: "Edit",
            onclick: () => handlers.onStartEdit(message.id),
          },
          icon("edit"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "icon-btn icon-btn-sm danger",
            "aria-label": "Delete message",
            title: "Delete",
            onclick: () => handlers.onDelete(message),
          },
          icon("trash"),
        ),
      );
    }
    li.append(actions);
  }
  return li;
}

function renderAttachment(message, { onOpenImage }) {
  const url = safeUrl(message.file_url);
  if (!url || message.type === "text") return null;
  if (message.type === "image") {
    return h(
      "button",
      {
        type: "button",
        class: "attachment-image",
        "aria-label": `Open image ${message.file_name || ""}`.trim(),
        onclick: () => onOpenImage(url, message.file_name),
      },
      h("img", { src: url, alt: message.file_name || "Image", loading: "lazy" }),
    );
  }
  if (message.type === "audio") {
    const name = message.file_name || "Voice note";
    return h(
      "div",
      { class: "attachment-audio" },
      h("audio", { controls: true, preload: "metadata", src: url, "aria-label": name }),
      h("span", { class: "audio-name", title: name }, name),
    );
  }
  return h(
    "a",
    {
      class: "file-chip",
      href: url,
      download: message.file_name || "",
      rel: "noopener noreferrer",
      target: "_blank",
    },
    icon("file"),
    h(
      "span",
      { class: "file-chip-text" },
      h("strong", {}, message.file_name || "File"),
      h("span", {}, formatBytes(message.file_size)),
    ),
  );
}

/** The inline editor: Enter saves, Shift+Enter is a new line, Escape cancels. */
function messageEditor(message, { onSaveEdit, onCancelEdit }) {
  const textarea = h("textarea", { class: "edit-input", rows: "2", "aria-label": "Edit message" });
  textarea.value = message.content;
  const save = () => {
    const content = textarea.value.trim();
    if (!content || content === message.content) return onCancelEdit();
    if (messageLength(content) > MAX_MESSAGE_CHARS) return toast(tooLongText(messageLength(content)), "error"); // kept, not cut
    onSaveEdit(message, content);
  };
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      save();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onCancelEdit();
    }
  });
  queueMicrotask(() => {
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  });
  return h(
    "div",
    { class: "edit-box" },
    textarea,
    h(
      "div",
      { class: "edit-buttons" },
      h("button", { type: "button", class: "btn btn-secondary btn-xs", onclick: onCancelEdit }, "Cancel"),
      h("button", { type: "button", class: "btn btn-primary btn-xs", onclick: save }, "Save"),
    ),
  );
}

function renderTick(tick) {
  const labels = { pending: "Sending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
  const glyph =
    tick === "pending" ? icon("clock", "icon icon-xs") : { sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" }[tick];
  return h(
    "span",
    { class: `tick tick-${tick}`, role: "img", "aria-label": labels[tick], title: labels[tick], dataset: { tick } },
    glyph,
  );
}
