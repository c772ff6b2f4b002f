// The audit log, newest first, a page at a time: who did what to whom, and when.
import { api } from "../api.js";
import { $, h, toast } from "../dom.js";

const name = (user) => user?.username || "someone";

/** One entry in words, e.g. "alice changed bob's role from member to admin". */
export function describeAudit(entry) {
  const actor = name(entry.actor);
  const target = name(entry.target);
  const detail = entry.detail || {};
  const invite = detail.email ? `an invite for ${detail.email}` : "an invite";
  switch (entry.action) {
    case "role_changed":
      return `${actor} changed ${target}'s role from ${detail.old} to ${detail.new}`;
    case "user_deactivated":
      return `${actor} deactivated ${target}`;
    case "user_reactivated":
      return `${actor} reactivated ${target}`;
    case "invite_created":
      return `${actor} created ${invite}`;
    case "invite_revoked":
      return `${actor} revoked ${invite}`;
    case "account_deleted":
      return `${actor} deleted their account${detail.erased_messages ? " and messages" : ""}`;
    default:
      return `${actor}: ${entry.action.replaceAll("_", " ")}${entry.target ? ` (${target})` : ""}`;
  }
}

export function setupAudit() {
  const list = $("#audit-list");
  const more = $("#audit-more");
  let page = 1;

  async function load(reset) {
    page = reset ? 1 : page + 1;
    try {
      const result = await api.adminAudit(page);
      const rows = result.data.map((entry) =>
        h(
          "li",
          { class: "admin-row", dataset: { action: entry.action } },
          h(
            "span",
            { class: "audit-text" },
            describeAudit(entry),
            h("time", { datetime: entry.created_at }, new Date(entry.created_at).toLocaleString()),
          ),
        ),
      );
      if (reset) list.replaceChildren(...rows);
      else list.append(...rows);
      $("#audit-empty").hidden = result.total > 0;
      more.hidden = page >= result.total_pages;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  more.addEventListener("click", () => load(false));
  return { refresh: () => load(true) };
}
