// The workspace's people, searched and paged: role changes (owners only) and (de)activation.
// What the server refuses (403, 409 for the last owner) is said above the list and the row redrawn.
import { api } from "../api.js";
import { $, avatar, h } from "../dom.js";
import { confirmDialog } from "./dialogs.js";

const LIMIT = 20;
const ROLES = ["owner", "admin", "member"];

export function setupAdminMembers({ store }) {
  const list = $("#admin-user-list");
  const msg = $("#admin-users-msg");
  const search = $("#admin-user-search");
  let page = 1;
  let totalPages = 0;
  let timer = 0;
  let seq = 0;

  const say = (text, isError = false) => {
    msg.textContent = text;
    msg.classList.toggle("is-error", isError);
  };

  async function refresh() {
    const mine = ++seq;
    try {
      const result = await api.adminUsers({ query: search.value.trim(), page, limit: LIMIT });
      if (mine !== seq) return; // an older search answered late
      totalPages = result.total_pages;
      list.replaceChildren(...result.data.map(row));
      if (!result.data.length) list.append(h("li", { class: "list-empty" }, "Nobody matches."));
      $("#admin-users-page").textContent = totalPages ? `Page ${page} of ${totalPages} · ${result.total} people` : "";
      $("#admin-users-prev").disabled = page <= 1;
      $("#admin-users-next").disabled = page >= totalPages;
    } catch (error) {
      if (mine === seq) say(error.message, true);
    }
  }

  function row(user) {
    const me = store.me;
    const self = user.id === me.id;
    const isOwner = me.role === "owner";
    // Admins moderate members only; owners moderate everyone but themselves.
    const mayToggle = !self && (isOwner || user.role === "member");
    const role = h(
      "select",
      {
        "aria-label": `Role of ${user.username}`,
        disabled: !isOwner || self,
        title: isOwner ? null : "Only owners change roles",
      },
      ROLES.map((r) => h("option", { value: r, selected: r === user.role }, r)),
    );
    role.addEventListener("change", () => update(user, { role: role.value }, `${user.username} is now ${role.value}`));
    const toggle = h(
      "button",
      { class: `btn btn-sm ${user.is_active ? "btn-danger" : "btn-secondary"}`, type: "button", disabled: !mayToggle },
      user.is_active ? "Deactivate" : "Reactivate",
    );
    toggle.addEventListener("click", () => toggleActive(user));
    return h(
      "li",
      { class: `admin-row ${user.is_active ? "" : "is-inactive"}`, dataset: { userId: user.id } },
      avatar({ name: user.username, image: user.avatar, seed: user.id }),
      h(
        "span",
        { class: "member-text" },
        h("strong", {}, h("bdi", {}, user.username), self ? " (you)" : ""),
        h("span", {}, user.email, user.is_active ? "" : " · deactivated"),
      ),
      role,
      toggle,
    );
  }

  async function toggleActive(user) {
    if (user.is_active) {
      const sure = await confirmDialog(
        `Deactivate ${user.username}?`,
        "They are signed out everywhere at once and cannot sign in until reactivated.",
        "Deactivate",
      );
      if (!sure) return;
    }
    const done = user.is_active ? `${user.username} deactivated` : `${user.username} reactivated`;
    await update(user, { is_active: !user.is_active }, done);
  }

  async function update(user, changes, done) {
    try {
      await api.adminUpdateUser(user.id, changes);
      say(done);
    } catch (error) {
      say(error.message, true);
    }
    await refresh(); // on failure too: the select goes back to what the server has
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      page = 1;
      refresh();
    }, 250);
  });
  $("#admin-users-prev").addEventListener("click", () => {
    page = Math.max(1, page - 1);
    refresh();
  });
  $("#admin-users-next").addEventListener("click", () => {
    page = Math.min(totalPages, page + 1);
    refresh();
  });
  return {
    refresh: () => {
      say("");
      return refresh();
    },
  };
}
