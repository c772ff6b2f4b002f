// Ctrl+B / Ctrl+I (Cmd on a Mac) in a text field: the selection wrapped in ** or * (the Markdown
// the server renders), or the markers put around the caret to type between. Again on a wrapped
// selection unwraps it.

const MARKERS = { b: "**", i: "*" };

/** `text` with `start`..`end` wrapped in (or unwrapped from) `marker`: {text, start, end}. */
export function toggleWrap(text, start, end, marker) {
  const n = marker.length;
  const before = text.slice(start - n, start);
  const after = text.slice(end, end + n);
  // For "*", a "**" around is bold, not italic: not unwrapped as if it were.
  const bold = marker === "*" && text.slice(start - 2, start) === "**" && text.slice(end, end + 2) === "**";
  if (before === marker && after === marker && !bold) {
    return {
      text: text.slice(0, start - n) + text.slice(start, end) + text.slice(end + n),
      start: start - n,
      end: end - n,
    };
  }
  return {
    text: text.slice(0, start) + marker + text.slice(start, end) + marker + text.slice(end),
    start: start + n,
    end: end + n,
  };
}

export function formatKeys(textarea) {
  textarea.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const marker = MARKERS[event.key.toLowerCase()];
    if (!marker) return;
    event.preventDefault();
    const next = toggleWrap(textarea.value, textarea.selectionStart, textarea.selectionEnd, marker);
    textarea.value = next.text;
    textarea.setSelectionRange(next.start, next.end);
    // The composer's own listeners (size, count, typing) follow the value through `input`.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
}
