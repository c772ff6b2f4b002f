// The composer's @ autocomplete: typing @ lists the room's members (and @room in rooms), narrowed
// as you type; Arrow keys move, Enter or Tab picks, Escape closes. Matching is mentions.js's.
import { $, avatar, h } from "../dom.js";
import { insertMention, matchMembers, mentionQuery } from "../mentions.js";

const ROOM_MENTION_OPEN_MAX = 100; // above this many members only room admins may use @room

export class MentionPicker {
  constructor({ store }) {
    this.store = store;
    this.input = $("#composer-input");
    this.list = $("#mention-list");
    this.matches = [];
    this.active = 0;
    this.query = null;
    this.input.setAttribute("aria-controls", this.list.id);
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("click", () => this.update());
    this.input.addEventListener(
      "keyup",
      (e) => ["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key) && this.update(),
    );
    this.input.addEventListener("blur", () => this.close());
    // The members come with the room's detail, which may land after the @ was typed.
    store.addEventListener("members", (e) => {
      if (e.detail.roomId === store.activeRoomId && document.activeElement === this.input) this.update();
    });
    // Capture, on the form: the picker's keys must not also send the message or cancel a reply.
    $("#composer").addEventListener("keydown", (e) => this.onKey(e), true);
  }

  /** The room's members as {id, username, avatar}, and whether @room is offered. */
  candidates() {
    const roomId = this.store.activeRoomId;
    const room = this.store.rooms.get(roomId);
    const members = [...(this.store.members.get(roomId)?.values() || [])]
      .filter((m) => m.user)
      .map((m) => ({ id: m.user_id, username: m.user.username, avatar: m.user.avatar }));
    const me = this.store.members.get(roomId)?.get(this.store.me?.id);
    const withRoom = room?.type !== "direct" && (members.length <= ROOM_MENTION_OPEN_MAX || me?.role === "admin");
    return { members, withRoom };
  }

  update() {
    const { selectionStart, selectionEnd, value } = this.input;
    this.query = selectionStart === selectionEnd ? mentionQuery(value, selectionStart) : null;
    if (!this.query) return this.close();
    const { members, withRoom } = this.candidates();
    const previous = this.matches[this.active]?.id;
    this.matches = matchMembers(members, this.query.query, { meId: this.store.me?.id, withRoom });
    if (!this.matches.length) return this.close();
    this.active = Math.max(
      0,
      this.matches.findIndex((m) => m.id === previous),
    );
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...this.matches.map((member, i) =>
        h(
          "li",
          {
            role: "option",
            id: `mention-opt-${i}`,
            "aria-selected": String(i === this.active),
            class: i === this.active ? "is-active" : "",
            dataset: { username: member.username },
            onmousedown: (e) => e.preventDefault(), // keep the composer's focus and caret
            onclick: () => this.choose(member),
          },
          member.isRoom
            ? h("span", { class: "avatar avatar-room", "aria-hidden": "true" }, "@")
            : avatar({ name: member.username, image: member.avatar, seed: member.id }),
          h(
            "span",
            { class: "result-text" },
            h("strong", { dir: "auto" }, `@${member.username}`),
            member.isRoom ? h("span", {}, "Notify everyone in this room") : null,
          ),
        ),
      ),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.input.setAttribute("aria-activedescendant", `mention-opt-${this.active}`);
  }

  close() {
    this.matches = [];
    this.query = null;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  choose(member) {
    const caret = this.input.selectionStart;
    const result = insertMention(this.input.value, { start: this.query.start, caret }, member.username);
    this.input.value = result.text;
    this.input.setSelectionRange(result.caret, result.caret);
    this.close();
    this.input.focus();
    this.input.dispatchEvent(new Event("input", { bubbles: true })); // the composer resizes and counts
  }

  onKey(e) {
    if (this.list.hidden || e.target !== this.input || e.isComposing) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (e.key in moves) {
      this.active = (this.active + moves[e.key] + this.matches.length) % this.matches.length;
      this.render();
    } else if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") this.choose(this.matches[this.active]);
    else if (e.key === "Escape") this.close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
