// The operators offered under the search box as you type (what to offer is search-suggest.js's):
// `from:` completes the people this client knows and those /users/search finds, `in:` the rooms
// and direct messages in the sidebar. A value's completion is chosen at once; an operator's name
// (it may as well be a word being typed) only with Tab or the arrows.
import { api } from "../api.js";
import { applySuggestion, suggest, tokenAt } from "../search-suggest.js";
import { renderSuggestions } from "./search-view.js";

const FIND_PEOPLE_MS = 200;

export class SearchSuggestions {
  /** `onPicked()`: the box's text changed through a suggestion; `pointAt(id)`: its active option. */
  constructor({ store, input, list, onPicked, pointAt }) {
    this.store = store;
    this.input = input;
    this.list = list;
    this.onPicked = onPicked;
    this.pointAt = pointAt;
    this.offers = [];
    this.active = -1;
    this.people = new Map(); // lower-case username -> user, found by /users/search
    this.asked = new Set(); // the terms already looked up
    this.timer = null;
  }

  get open() {
    return this.offers.length > 0;
  }

  /** What to offer for the caret's place now. */
  update() {
    const { value, selectionStart, selectionEnd } = this.input;
    if (selectionStart !== selectionEnd || document.activeElement !== this.input) return this.close();
    const name =
      tokenAt(value, selectionStart)?.op === "from" && tokenAt(value, selectionStart).value.replace(/^@/, "");
    if (name) this.findPeople(name);
    const offers = suggest(value, selectionStart, { people: this.knownPeople(), rooms: this.knownRooms() });
    const same = offers.length === this.offers.length && offers.every((o, i) => o.insert === this.offers[i].insert);
    this.offers = offers;
    if (!same) this.active = offers.length && offers[0].kind !== "operator" ? 0 : -1;
    this.render();
  }

  render() {
    renderSuggestions(this.list, this.offers, this.active, (s) => this.pick(s));
    this.input.setAttribute("aria-expanded", String(this.open));
    this.pointAt(this.active >= 0 ? `search-suggestion-${this.active}` : null);
  }

  close() {
    this.offers = [];
    this.active = -1;
    this.render();
  }

  pick(suggestion) {
    const { text, caret } = applySuggestion(this.input.value, suggestion);
    this.input.value = text;
    this.input.focus();
    this.input.setSelectionRange(caret, caret);
    this.onPicked();
  }

  /** Arrow keys, Tab, Enter and Escape while suggestions show; true when the key was theirs. */
  onKey(e) {
    if (!this.open) return false;
    const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step) {
      // Around the list and through "none chosen" (-1), where Enter searches.
      const n = this.offers.length + 1;
      this.active = ((this.active + 1 + step + n) % n) - 1;
      this.render();
    } else if ((e.key === "Tab" && !e.shiftKey) || (e.key === "Enter" && this.active >= 0)) {
      this.pick(this.offers[Math.max(0, this.active)]);
    } else if (e.key === "Escape") {
      this.close();
    } else return false;
    e.preventDefault();
    return true;
  }

  /** People this client knows: me, direct-message partners, members of rooms opened, and finds. */
  knownPeople() {
    const people = new Map();
    const add = (username, detail = "") => username && people.set(username.toLowerCase(), { username, detail });
    for (const found of this.people.values()) add(found.username);
    for (const members of this.store.members.values()) for (const m of members.values()) add(m.user?.username);
    for (const room of this.store.rooms.values()) add(room.other_user?.username, "Direct message");
    add(this.store.me?.username, "You");
    return [...people.values()];
  }

  knownRooms() {
    return [...this.store.rooms.values()].map((room) => ({
      name: room.name,
      type: room.type,
      username: room.other_user?.username,
    }));
  }

  /** Usernames containing `term` from the server; the suggestions follow when they come. */
  findPeople(term) {
    clearTimeout(this.timer);
    if (this.asked.has(term.toLowerCase())) return;
    this.timer = setTimeout(async () => {
      this.asked.add(term.toLowerCase());
      try {
        const found = await api.searchUsers(term);
        for (const user of found.data || []) this.people.set(user.username.toLowerCase(), user);
        if (document.activeElement === this.input) this.update();
      } catch {
        this.asked.delete(term.toLowerCase()); // the names already known still complete; ask again later
      }
    }, FIND_PEOPLE_MS);
  }
}
