// Invitations: create (optionally bound to one email), copy the link, revoke. The server keeps only
// a digest of the code, so the link is shown once, right after creation, and never again.
import { api } from "../api.js";
import { $, clearErrors, h, showFieldErrors, toast } from "../dom.js";
import { confirmDialog } from "./dialogs.js";

const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function setupInvites() {
  const form = $("#form-invite");
  const created = $("#invite-created");
  const urlInput = $("#invite-url");
  const list = $("#invite-list");

  async function refresh() {
    try {
      const { data } = await api.invites();
      list.replaceChildren(...data.map(row));
      $("#invite-empty").hidden = data.length > 0;
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function row(invite) {
    const revoke = h("button", { class: "btn btn-danger btn-sm", type: "button" }, "Revoke");
    revoke.addEventListener("click", () => revokeInvite(invite));
    return h(
      "li",
      { class: "admin-row", dataset: { inviteId: invite.id } },
      h(
        "span",
        { class: "member-text" },
        h("strong", {}, invite.email || "Anyone with the link"),
        h("span", {}, `${invite.uses} of ${invite.max_uses} used · expires ${when(invite.expires_at)}`),
      ),
      revoke,
    );
  }

  async function revokeInvite(invite) {
    const who = invite.email ? ` for ${invite.email}` : "";
    if (!(await confirmDialog(`Revoke this invite${who}?`, "Its link stops working at once.", "Revoke"))) return;
    try {
      await api.revokeInvite(invite.id);
      toast("Invite revoked");
    } catch (error) {
      toast(error.message, "error");
    }
    await refresh();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const email = $("#invite-email").value.trim();
    const body = {
      max_uses: Number.parseInt($("#invite-uses").value, 10) || 1,
      expires_in_hours: Number.parseInt($("#invite-expiry").value, 10),
    };
    if (email) body.email = email;
    try {
      const invite = await api.createInvite(body);
      urlInput.value = invite.url;
      created.hidden = false;
      $("#invite-copy").textContent = "Copy link";
      form.reset();
      await refresh();
      urlInput.focus();
      urlInput.select();
    } catch (error) {
      showFieldErrors(form, error);
    }
  });

  $("#invite-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(urlInput.value);
      $("#invite-copy").textContent = "Copied";
      toast("Invite link copied");
    } catch {
      // No clipboard permission (an insecure origin, say): leave it selected for Ctrl+C.
      urlInput.select();
      toast("Press Ctrl+C to copy the selected link");
    }
  });

  return {
    refresh,
    /** A link from an earlier visit is not shown again: it was meant to be copied then. */
    reset: () => {
      created.hidden = true;
      urlInput.value = "";
      clearErrors(form);
    },
  };
}
