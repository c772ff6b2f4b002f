// What the message search shows: one found message (room, sender, time, the matched words marked
// with text nodes and <mark>, never HTML from the server), the operator suggestions, and the
// status line with what to try when there is nothing (yet) to show.
import { h, icon } from "../dom.js";
import { highlightParts } from "../highlight.js";
import { clock, dayLabel } from "../time.js";

const ATTACHMENT = { image: ["image", "Photo"], audio: ["mic", "Voice note"], file: ["file", "File"] };

/** "# general", "@bob" for a direct message: the name this client knows the room by. */
function roomLabel(store, room) {
  const known = store.rooms.get(room.id);
  if (room.type === "direct") return `@${known ? store.roomName(known) : "direct message"}`;
  return known?.name || room.name;
}

function hitText(hit) {
  const { parts, before, after } = highlightParts(hit.content, hit.match_ranges);
  const text = h("p", { class: "hit-text", dir: "auto" });
  if (before) text.append("…");
  for (const part of parts) text.append(part.match ? h("mark", {}, part.text) : part.text);
  if (after) text.append("…");
  const attachment = ATTACHMENT[hit.type];
  if (attachment && !hit.content) text.append(icon(attachment[0], "icon icon-xs"), " ", hit.file_name || attachment[1]);
  else if (attachment) text.prepend(icon(attachment[0], "icon icon-xs"), " ");
  return text;
}

/** One result as a listbox option; `onOpen(hit)` when it is clicked. */
export function renderHit(store, hit, { index, active, current, onOpen }) {
  const room = hit.room || { id: hit.room_id, name: "", type: "public" };
  const roomIcon = room.type === "direct" ? "user" : room.type === "private" ? "lock" : "hash";
  const when = `${dayLabel(hit.created_at)} ${clock(hit.created_at)}`;
  return h(
    "li",
    {
      role: "option",
      id: `search-hit-${index}`,
      class: ["hit", active && "is-active", current && "is-current"].filter(Boolean).join(" "),
      "aria-selected": String(active),
      "aria-current": current ? "true" : null,
      dataset: { id: hit.id, roomId: room.id },
      onmousedown: (e) => e.preventDefault(), // the search box keeps its focus
      onclick: () => onOpen(hit),
    },
    h(
      "span",
      { class: "hit-head" },
      h("span", { class: "hit-room" }, icon(roomIcon, "icon icon-xs"), h("bdi", {}, roomLabel(store, room))),
      h("span", { class: "hit-sender", dir: "auto" }, hit.sender?.username || ""),
      h(
        "time",
        { class: "hit-time", datetime: hit.created_at, title: new Date(hit.created_at).toLocaleString() },
        when,
      ),
    ),
    hitText(hit),
  );
}

/** The operator suggestions under the box. */
export function renderSuggestions(list, suggestions, active, onPick) {
  list.replaceChildren(
    ...suggestions.map((s, i) =>
      h(
        "li",
        {
          role: "option",
          id: `search-suggestion-${i}`,
          class: i === active ? "is-active" : "",
          "aria-selected": String(i === active),
          dataset: { insert: s.insert.trim() },
          onmousedown: (e) => e.preventDefault(),
          onclick: () => onPick(s),
        },
        h("span", { class: "result-text" }, h("strong", { dir: "auto" }, s.label), h("span", {}, s.detail)),
      ),
    ),
  );
  list.hidden = suggestions.length === 0;
}

const TIPS = [
  ["deploy", "words, all of them"],
  ['"release notes"', "an exact phrase"],
  ["-staging", "without a word"],
  ["from:alice", "sent by someone"],
  ["in:general", "in one room (in:@bob: your direct messages)"],
  ["has:link", "file, image, link or audio"],
  ["is:mention", "mentions of you (or is:unread)"],
  ["after:2024-05-01", "or before: a day"],
];

function tips() {
  return h(
    "ul",
    { class: "search-tips" },
    TIPS.map(([example, what]) => h("li", {}, h("code", {}, example), " ", what)),
  );
}

/**
 * The status line: "empty" (nothing typed yet: what can be searched), "searching", "none" (no
 * results: what to try), "error" (the server's reason), or "found" with the count.
 */
export function renderStatus(box, state, { query = "", count = 0, more = false, error = "" } = {}) {
  box.dataset.state = state;
  if (state === "empty") {
    box.replaceChildren(h("p", {}, "Search the messages of your rooms and direct messages. Try:"), tips());
  } else if (state === "searching") {
    box.replaceChildren(h("p", { class: "hint" }, "Searching…"));
  } else if (state === "none") {
    box.replaceChildren(
      h("p", { class: "search-none" }, "No messages match ", h("strong", { dir: "auto" }, query), "."),
      h(
        "p",
        { class: "hint" },
        "Try fewer or other words, the start of a word, or one operator less. Only rooms you are in are searched.",
      ),
    );
  } else if (state === "error") {
    box.replaceChildren(h("p", { class: "search-error" }, error), tips());
  } else {
    box.replaceChildren(
      h("p", { class: "hint" }, `${count}${more ? "+" : ""} message${count === 1 && !more ? "" : "s"} found`),
    );
  }
}
