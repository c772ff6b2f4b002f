// The sidebar: my rooms and DMs with preview, time, unread badge and presence; the user search.
import { api } from "../api.js";
import { $, avatar, h, icon } from "../dom.js";
import { relativeShort } from "../time.js";

/** The last message in one line: text nodes and an icon for attachments (no emoji: not every
 * system has a colour emoji font, and a missing glyph shows as a box). What people wrote goes in a
 * <bdi>, so Arabic or Hebrew runs right to left without pulling "You: " along. */
function preview(store, room) {
  const m = room.last_message;
  if (!m) return room.type === "direct" ? "Say hello" : room.description || "No messages yet";
  const mine = m.sender_id === store.me?.id;
  const who = mine ? "You: " : room.type === "direct" ? "" : `${m.sender?.username || "someone"}: `;
  const withIcon = (name, text) => [who, icon(name, "icon icon-xs"), " ", h("bdi", {}, text)];
  if (m.is_deleted) return [who, "message deleted"];
  if (m.type === "image") return withIcon("image", m.content || "Photo");
  if (m.type === "audio") return withIcon("mic", "Voice note");
  if (m.type === "file") return withIcon("file", m.file_name || "File");
  return [who, h("bdi", {}, m.content)];
}

function activity(room) {
  return (
    Date.parse(room.last_message?.created_at || room.last_message_at || room.updated_at || room.created_at || 0) || 0
  );
}

export function renderSidebar(store, onOpen) {
  const rooms = [...store.rooms.values()].sort((a, b) => activity(b) - activity(a));
  const groups = { room: $("#room-list"), dm: $("#dm-list") };
  const items = { room: [], dm: [] };
  for (const room of rooms) {
    const isDm = room.type === "direct";
    const name = store.roomName(room);
    const unread = room.unread_count || 0;
    const mentions = room.mention_count || 0;
    const av = isDm
      ? avatar({ name, image: room.other_user?.avatar, seed: room.other_user?.id })
      : h(
          "span",
          { class: "avatar avatar-room", "aria-hidden": "true" },
          room.type === "private" ? icon("lock") : icon("hash"),
        );
    if (isDm) {
      const online = store.presence.get(room.other_user?.id);
      av.append(h("span", { class: `presence ${online ? "is-online" : ""}`, title: online ? "Online" : "Offline" }));
    }
    const label = [
      name,
      unread ? `${unread} unread` : "",
      mentions ? `${mentions} mention${mentions === 1 ? "" : "s"}` : "",
      isDm && store.presence.get(room.other_user?.id) ? "online" : "",
    ]
      .filter(Boolean)
      .join(", ");
    const button = h(
      "button",
      {
        type: "button",
        class: `conv-item ${store.activeRoomId === room.id ? "is-active" : ""} ${unread ? "has-unread" : ""}`,
        "aria-current": store.activeRoomId === room.id ? "true" : null,
        "aria-label": label,
        dataset: { roomId: room.id },
        onclick: () => onOpen(room.id),
      },
      av,
      h(
        "span",
        { class: "conv-body" },
        h(
          "span",
          { class: "conv-line" },
          h("span", { class: "conv-name", dir: "auto" }, name),
          h("time", { class: "conv-time" }, relativeShort(room.last_message?.created_at)),
        ),
        h(
          "span",
          { class: "conv-line" },
          h("span", { class: "conv-preview", dir: "auto" }, preview(store, room)),
          mentions
            ? h("span", { class: "badge badge-mention", title: "Mentions you" }, `@${mentions > 9 ? "9+" : mentions}`)
            : null,
          unread ? h("span", { class: "badge" }, unread > 99 ? "99+" : String(unread)) : null,
        ),
      ),
    );
    items[isDm ? "dm" : "room"].push(h("li", {}, button));
  }
  groups.room.replaceChildren(...items.room);
  groups.dm.replaceChildren(...items.dm);
  $("#room-list-empty").hidden = items.room.length > 0;
  $("#dm-list-empty").hidden = items.dm.length > 0;
}

/** A debounced people search; `onPick(user)` is called with the chosen user. */
export function setupUserSearch(input, list, onPick, { exclude = () => new Set() } = {}) {
  let timer = null;
  let controller = null;
  let results = [];
  let active = -1;

  const close = () => {
    list.replaceChildren();
    if (!list.classList.contains("static")) list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    active = -1;
  };

  const choose = (user) => {
    onPick(user);
    input.value = "";
    close();
  };

  const render = () => {
    const skip = exclude();
    const rows = results.filter((u) => !skip.has(u.id));
    list.replaceChildren(
      ...(rows.length
        ? rows.map((user, i) =>
            h(
              "li",
              {
                role: "option",
                id: `${list.id}-opt-${i}`,
                "aria-selected": i === active ? "true" : "false",
                class: i === active ? "is-active" : "",
                onmousedown: (e) => e.preventDefault(),
                onclick: () => choose(user),
              },
              avatar({ name: user.username, image: user.avatar, seed: user.id }),
              h(
                "span",
                { class: "result-text" },
                h("strong", { dir: "auto" }, user.username),
                h("span", { dir: "auto" }, user.status || ""),
              ),
              user.is_online ? h("span", { class: "presence-inline is-online", title: "Online" }) : null,
            ),
          )
        : [h("li", { class: "result-empty" }, "No one found")]),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", active >= 0 ? `${list.id}-opt-${active}` : "");
    results = rows;
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const term = input.value.trim();
    if (!term) return close();
    timer = setTimeout(async () => {
      controller?.abort();
      controller = new AbortController();
      try {
        const data = await api.searchUsers(term, { signal: controller.signal });
        results = data.data || [];
        active = results.length ? 0 : -1;
        render();
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }, 200);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden || !results.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      render();
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(results[active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      input.value = "";
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}
