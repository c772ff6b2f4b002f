// The message search at the top of the sidebar's rooms area: `/` or Ctrl+K focuses it (not while
// typing elsewhere), results come as you type (debounced; a newer query cancels an older one),
// operators are suggested at the caret (search-suggestions.js), Arrow keys move through them or
// the results, Enter opens a result at its message, "More results" pages on with next_cursor.
import { api } from "../api.js";
import { $ } from "../dom.js";
import { SearchSuggestions } from "./search-suggestions.js";
import { renderHit, renderStatus } from "./search-view.js";

const DEBOUNCE_MS = 250;
const PAGE = 20;

function isEditable(el) {
  return Boolean(el?.closest?.("input, textarea, select, [contenteditable='true']"));
}

export class SearchBox {
  /** `onOpen(hit)` shows a result in its conversation; `onReveal()` brings the sidebar into view (phones). */
  constructor({ store, onOpen, onReveal }) {
    this.store = store;
    this.onOpen = onOpen;
    this.onReveal = onReveal;
    this.input = $("#message-search");
    this.panel = $("#search-panel");
    this.status = $("#search-status");
    this.list = $("#search-hits");
    this.more = $("#search-more");
    this.rooms = $("#sidebar-lists");
    this.query = ""; // what the results shown answer
    this.hits = [];
    this.cursor = null;
    this.active = -1; // the result Arrow keys are on
    this.currentId = null; // the result last opened
    this.timer = null;
    this.controller = null;

    this.suggestions = new SearchSuggestions({
      store,
      input: this.input,
      list: $("#search-suggestions"),
      onPicked: () => this.changed(),
      pointAt: (id) => this.pointAt(id),
    });
    this.input.addEventListener("input", () => this.changed());
    this.input.addEventListener("focus", () => this.showPanel());
    this.input.addEventListener("click", () => this.suggestions.update());
    this.input.addEventListener("blur", () => setTimeout(() => this.blurred(), 150));
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.more.addEventListener("click", () => this.run({ append: true }));
    document.addEventListener("keydown", (e) => this.shortcut(e));
  }

  /** `/` or Ctrl+K (⌘K) anywhere but in a text field or an open dialog: to the search box. */
  shortcut(e) {
    if (e.defaultPrevented || e.isComposing || e.altKey || isEditable(e.target)) return;
    const slash = e.key === "/" && !e.ctrlKey && !e.metaKey;
    const k = e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey) && !e.shiftKey;
    if (!(slash || k) || document.querySelector("dialog[open]")) return;
    e.preventDefault();
    if (!this.input.offsetParent) this.onReveal(); // a phone showing a conversation
    this.input.focus();
    this.input.select();
  }

  showPanel() {
    this.panel.hidden = false;
    this.rooms.hidden = true;
    if (!this.input.value.trim()) renderStatus(this.status, "empty");
    this.suggestions.update();
  }

  blurred() {
    if (document.activeElement === this.input) return;
    this.suggestions.close();
    if (!this.input.value.trim()) this.hidePanel();
  }

  hidePanel() {
    this.panel.hidden = true;
    this.rooms.hidden = false;
  }

  changed() {
    this.suggestions.update();
    clearTimeout(this.timer);
    // Nothing yet but an operator waiting for its value ("from:"): the tips, not an error.
    if (!this.input.value.replace(/(^|\s)-?(from|in|has|is|before|after):(?=\s|$)/gi, " ").trim()) {
      this.controller?.abort();
      this.setResults("", [], null);
      renderStatus(this.status, "empty");
      return;
    }
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  /** Searches for what the box says (`append`: the next page of the results shown). */
  async run({ append = false } = {}) {
    clearTimeout(this.timer);
    const query = append ? this.query : this.input.value;
    if (!query.trim()) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    if (!append && !this.hits.length) renderStatus(this.status, "searching");
    this.panel.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    try {
      const cursor = append ? this.cursor : null;
      const page = await api.searchMessages({ query, cursor, limit: PAGE }, { signal: controller.signal });
      if (this.controller !== controller) return;
      this.setResults(query, append ? [...this.hits, ...(page.data || [])] : page.data || [], page.next_cursor);
    } catch (error) {
      if (error.name === "AbortError" || this.controller !== controller) return;
      this.setResults(query, [], null);
      renderStatus(this.status, "error", { error: error.message });
    } finally {
      if (this.controller === controller) {
        this.panel.removeAttribute("aria-busy");
        this.more.disabled = false;
      }
    }
  }

  setResults(query, hits, cursor) {
    const fresh = query !== this.query;
    this.query = query;
    this.hits = hits;
    this.cursor = cursor;
    if (fresh) this.active = -1;
    this.active = Math.min(this.active, hits.length - 1);
    this.renderHits();
    this.more.hidden = !cursor;
    if (query.trim())
      renderStatus(this.status, hits.length ? "found" : "none", { query, count: hits.length, more: Boolean(cursor) });
  }

  renderHits() {
    this.list.replaceChildren(
      ...this.hits.map((hit, index) =>
        renderHit(this.store, hit, {
          index,
          active: index === this.active,
          current: hit.id === this.currentId,
          onOpen: (chosen) => this.open(chosen),
        }),
      ),
    );
    this.pointAt(this.active >= 0 ? `search-hit-${this.active}` : null);
  }

  open(hit) {
    this.currentId = hit.id;
    this.active = this.hits.indexOf(hit);
    this.suggestions.close();
    this.renderHits();
    // A phone shows the conversation instead of the sidebar: its keyboard goes away with the box.
    if (window.matchMedia("(max-width: 760px)").matches) this.input.blur();
    this.onOpen(hit);
  }

  // ---- keys --------------------------------------------------------------------------------------

  pointAt(id) {
    if (id) this.input.setAttribute("aria-activedescendant", id);
    else this.input.removeAttribute("aria-activedescendant");
  }

  onKey(e) {
    if (e.isComposing || this.suggestions.onKey(e)) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step && this.hits.length) {
      e.preventDefault();
      this.active = Math.max(-1, Math.min(this.hits.length - 1, this.active + step));
      this.renderHits();
      document.getElementById(`search-hit-${this.active}`)?.scrollIntoView({ block: "nearest" });
    } else if (e.key === "Enter") {
      e.preventDefault();
      // Results for what the box says: the one chosen, or the first; else search now.
      if (this.hits.length && this.query === this.input.value) this.open(this.hits[Math.max(0, this.active)]);
      else this.run();
    } else if (e.key === "Escape") {
      e.preventDefault();
      if (this.input.value) {
        this.input.value = "";
        this.changed();
      } else {
        this.hidePanel();
        this.input.blur();
      }
    }
  }
}
