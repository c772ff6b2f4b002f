// Where the message list is scrolled: following the newest message or reading further up, the
// "New messages" pill, loading older pages at the top (and newer ones at the bottom of a stretch of
// older history), and keeping the reader's place when they land.

const NEAR_BOTTOM_PX = 120;

export class ScrollKeeper {
  constructor({ scroller, list, sentinel, newerSentinel, jump, onLoadOlder, onLoadNewer }) {
    this.scroller = scroller;
    this.list = list;
    this.sentinel = sentinel;
    this.newerSentinel = newerSentinel;
    this.jump = jump;
    this.pinned = true; // following the newest message (at the bottom) or reading further up
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) onLoadOlder();
      },
      { root: scroller, rootMargin: "200px 0px 0px 0px" },
    );
    this.observer.observe(sentinel);
    this.newerObserver = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) onLoadNewer();
      },
      { root: scroller, rootMargin: "0px 0px 200px 0px" },
    );
    this.newerObserver.observe(newerSentinel);
    scroller.addEventListener("scroll", () => {
      this.pinned = this.isNearBottom();
      if (this.pinned) this.jump.hidden = true;
    });
    // An image that finishes loading grows its message: stay at the bottom if we were there.
    list.addEventListener("load", () => this.pinned && this.scrollToBottom(), true);
    jump.addEventListener("click", () => this.scrollToBottom(true));
  }

  reset() {
    this.pinned = true;
    this.jump.hidden = true;
  }

  isNearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom(smooth = false) {
    this.pinned = true;
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    this.jump.hidden = true;
  }

  /** `el` at the top of the view (the "New messages" divider); following the bottom only if it shows. */
  scrollToTop(el) {
    const margin = 8;
    this.scroller.scrollTop += el.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top - margin;
    this.pinned = this.isNearBottom();
    this.jump.hidden = true;
  }

  /** `el` in the middle of the view (a message jumped to). */
  reveal(el, smooth) {
    el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
    // An image loading below must not pull the view back to the bottom (a smooth scroll's own
    // scroll events say where it ends).
    if (!smooth) this.pinned = this.isNearBottom();
  }

  /** A newer page went in below: the bottom, if still in reach, reports again and the next loads. */
  reobserveNewer() {
    this.newerObserver.unobserve(this.newerSentinel);
    this.newerObserver.observe(this.newerSentinel);
  }

  /** The first message still showing at the top of the view, and how far down it sits. */
  anchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const el of this.list.children) {
      if (!el.id) continue;
      const rect = el.getBoundingClientRect();
      if (rect.bottom > top) return { id: el.id, offset: rect.top - top };
    }
    return null;
  }

  /** Older messages went in above `anchor`: scroll so it sits exactly where it was. */
  restore(anchor) {
    const el = anchor && document.getElementById(anchor.id);
    if (el)
      this.scroller.scrollTop +=
        el.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top - anchor.offset;
    // The observer reports changes only: if the top is still in reach (a short page, a reader
    // parked at the very top), observing afresh reports it again and the next page loads.
    this.observer.unobserve(this.sentinel);
    this.observer.observe(this.sentinel);
  }
}
