// Small modals: browse public rooms, create a room, members (and adding one), confirm, image preview.
import { api } from "../api.js";
import { $, avatar, clearErrors, h, icon, showFieldErrors, toast } from "../dom.js";
import { lastSeenText } from "../time.js";
import { setupUserSearch } from "./sidebar.js";

export function confirmDialog(title, text, okLabel = "Confirm") {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

export function openImage(url, name) {
  const img = $("#lightbox-img");
  img.src = url;
  img.alt = name || "Image";
  $("#lightbox").showModal();
}

export function setupBrowse({ store, onOpen }) {
  const dialog = $("#browse-dialog");
  const list = $("#browse-list");
  const more = $("#browse-more");
  let page = 1;

  const load = async (reset) => {
    if (reset) {
      page = 1;
      list.replaceChildren();
    }
    try {
      const data = await api.publicRooms(page, 20);
      for (const room of data.data || []) {
        const joined = store.rooms.has(room.id);
        const action = h(
          "button",
          {
            type: "button",
            class: `btn btn-sm ${joined ? "btn-secondary" : "btn-primary"}`,
            "aria-label": `${joined ? "Open" : "Join"} ${room.name}`,
          },
          joined ? "Open" : "Join",
        );
        action.addEventListener("click", async () => {
          try {
            if (!joined) await api.joinRoom(room.id);
            dialog.close();
            await onOpen(room.id, { refresh: !joined });
          } catch (error) {
            toast(error.message, "error");
          }
        });
        list.append(
          h(
            "li",
            { class: "browse-item" },
            h("span", { class: "avatar avatar-room", "aria-hidden": "true" }, icon("hash")),
            h(
              "span",
              { class: "browse-text" },
              h("strong", { dir: "auto" }, room.name),
              h(
                "span",
                { dir: "auto" },
                room.description || `${room.member_count} member${room.member_count === 1 ? "" : "s"}`,
              ),
            ),
            h("span", { class: "muted browse-count" }, `${room.member_count} 👤`),
            action,
          ),
        );
      }
      $("#browse-empty").hidden = list.children.length > 0;
      more.hidden = page >= (data.total_pages || 1);
    } catch (error) {
      toast(error.message, "error");
    }
  };
  more.addEventListener("click", () => {
    page += 1;
    load(false);
  });
  $("#btn-browse").addEventListener("click", () => {
    dialog.showModal();
    load(true);
  });
}

export function setupCreateRoom({ onCreated }) {
  const dialog = $("#create-dialog");
  const form = $("#form-create-room");
  $("#btn-create-room").addEventListener("click", () => {
    form.reset();
    clearErrors(form);
    dialog.showModal();
    $("#room-name").focus();
  });
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    try {
      const room = await api.createRoom({
        name: String(data.get("name")).trim(),
        description: String(data.get("description")).trim(),
        type: data.get("type"),
      });
      dialog.close();
      await onCreated(room);
    } catch (error) {
      showFieldErrors(form, error);
    }
  });
}

export function setupMembers({ store, currentRoom }) {
  const dialog = $("#members-dialog");
  const render = () => {
    const room = currentRoom();
    if (!room) return;
    const members = [...(store.members.get(room.id)?.values() || [])];
    members.sort(
      (a, b) => Number(Boolean(store.presence.get(b.user_id))) - Number(Boolean(store.presence.get(a.user_id))),
    );
    $("#members-title").textContent = `Members · ${members.length}`;
    $("#member-list").replaceChildren(
      ...members.map((m) => {
        const user = m.user || { username: m.username || "member" };
        const online = store.presence.get(m.user_id);
        const av = avatar({ name: user.username, image: user.avatar, seed: m.user_id });
        av.append(h("span", { class: `presence ${online ? "is-online" : ""}` }));
        return h(
          "li",
          { class: "member" },
          av,
          h(
            "span",
            { class: "member-text" },
            h("strong", {}, h("bdi", {}, user.username), m.user_id === store.me?.id ? " (you)" : ""),
            h("span", {}, online ? "online" : lastSeenText(user.last_seen)),
          ),
          m.role === "admin" ? h("span", { class: "pill" }, "admin") : null,
        );
      }),
    );
    const isAdmin = store.members.get(room.id)?.get(store.me?.id)?.role === "admin";
    $("#add-member").hidden = !(room.type === "private" && isAdmin);
  };
  setupUserSearch(
    $("#add-member-search"),
    $("#add-member-results"),
    async (user) => {
      const room = currentRoom();
      try {
        await api.addMember(room.id, user.id);
        const detail = await api.room(room.id);
        store.upsertRoom(detail);
        render();
        toast(`${user.username} added`);
      } catch (error) {
        toast(error.message, "error");
      }
    },
    { exclude: () => new Set(store.members.get(currentRoom()?.id)?.keys() || []) },
  );
  store.addEventListener("presence", () => dialog.open && render());
  store.addEventListener("members", () => dialog.open && render());
  return {
    open: (withAdd = false) => {
      render();
      dialog.showModal();
      if (withAdd && !$("#add-member").hidden) $("#add-member-search").focus();
    },
  };
}
