// "Members & access": the workspace's owners and admins manage people (admin-members.js), invites
// (admin-invites.js) and read the audit log (admin-audit.js). The entry point shows only for them;
// the server refuses everyone else (403) whatever the page does.
import { $ } from "../dom.js";
import { setupAudit } from "./admin-audit.js";
import { setupInvites } from "./admin-invites.js";
import { setupAdminMembers } from "./admin-members.js";
import { setupTabs } from "./tabs.js";

export const isModerator = (user) => user?.role === "owner" || user?.role === "admin";

export function setupAdmin({ store }) {
  const button = $("#btn-admin");
  button.hidden = !isModerator(store.me);
  if (button.hidden) return;
  const dialog = $("#admin-dialog");
  const members = setupAdminMembers({ store });
  const invites = setupInvites();
  const audit = setupAudit();
  const tabs = setupTabs(dialog.querySelector('[role="tablist"]'), (tab) => {
    if (tab.id === "atab-members") members.refresh();
    else if (tab.id === "atab-invites") invites.refresh();
    else audit.refresh();
  });
  button.addEventListener("click", () => {
    invites.reset();
    tabs.select(0);
    dialog.showModal();
  });
}
