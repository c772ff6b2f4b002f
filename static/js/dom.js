// DOM helpers. Everything a user wrote goes in as text nodes: there is no innerHTML in this client.

/** h("div", {class: "x", onclick: fn, dataset: {id}}, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function icon(name, cls = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export const $ = (selector, root = document) => root.querySelector(selector);

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

/** Text with http(s) links made clickable; anything else stays plain text. */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0];
    // Trailing punctuation is almost always the sentence's, not the link's.
    const trimmed = url.replace(/[.,;:!?)\]]+$/, "");
    url = trimmed;
    const start = match.index;
    if (start > last) fragment.append(text.slice(last, start));
    const safe = safeUrl(url, ["http:", "https:"]);
    if (safe) {
      fragment.append(h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, url));
    } else {
      fragment.append(url);
    }
    last = start + url.length;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

/** A URL we are willing to put in src/href, or null (no javascript:, data: from users, etc.). */
export function safeUrl(value, protocols = ["http:", "https:"]) {
  if (!value || typeof value !== "string") return null;
  try {
    const url = new URL(value, window.location.origin);
    return protocols.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const PALETTE = ["#5b5bd6", "#7c3aed", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#ec4899", "#14b8a6"];

/** Fills an .avatar element: the user's image, or their initial on a stable colour. */
export function fillAvatar(el, { name = "?", image = "", seed = "" } = {}) {
  el.replaceChildren();
  el.classList.add("avatar");
  const src = safeUrl(image);
  if (src) {
    el.append(h("img", { src, alt: "", loading: "lazy" }));
    el.classList.add("has-img");
  } else {
    el.classList.remove("has-img");
    el.append((name || "?").trim().charAt(0).toUpperCase() || "?");
    let hash = 0;
    for (const ch of String(seed || name)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    el.dataset.color = String(hash % PALETTE.length);
  }
  return el;
}

export function avatar(opts, extraClass = "") {
  return fillAvatar(h("span", { class: `avatar ${extraClass}`.trim(), "aria-hidden": "true" }), opts);
}

export function formatBytes(size) {
  if (!Number.isFinite(size)) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(size < 10240 ? 1 : 0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

/** Shows API field errors under the inputs of a form (elements with data-field-error="name ..."). */
export function showFieldErrors(form, error) {
  clearErrors(form);
  const fields = error?.fields || {};
  let placed = false;
  for (const holder of form.querySelectorAll("[data-field-error]")) {
    const names = holder.dataset.fieldError.split(" ");
    const messages = names.flatMap((n) => fields[n] || []);
    if (messages.length) {
      holder.textContent = messages.join(" ");
      holder.hidden = false;
      placed = true;
      const input = holder.closest(".field")?.querySelector("input, textarea");
      input?.setAttribute("aria-invalid", "true");
    }
  }
  const general = form.querySelector("[data-form-error]");
  if (!placed && error) {
    if (general) {
      general.textContent = error.message;
      general.hidden = false;
    } else {
      const msg = form.querySelector("[data-form-msg]");
      if (msg) {
        msg.textContent = error.message;
        msg.classList.add("is-error");
      } else toast(error.message, "error");
    }
  }
  return placed;
}

export function clearErrors(form) {
  for (const holder of form.querySelectorAll("[data-field-error], [data-form-error]")) {
    holder.textContent = "";
    holder.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const msg = form.querySelector("[data-form-msg]");
  if (msg) {
    msg.textContent = "";
    msg.classList.remove("is-error");
  }
}
