// A link's preview card: site, title, description and the image this server stored (only a
// same-origin /media/ URL is ever loaded: a preview never makes the browser call a third party).
import { h, safeUrl } from "../dom.js";

export function linkPreviewCard(preview) {
  const href = safeUrl(preview?.url);
  if (!href) return null;
  const card = h("a", {
    class: "link-preview",
    href,
    target: "_blank",
    rel: "noopener noreferrer nofollow",
    "aria-label": `Link preview: ${preview.title || href}`,
  });
  const image = ownMediaUrl(preview.image_url);
  if (image) card.append(h("img", { class: "link-preview-img", src: image, alt: "", loading: "lazy" }));
  const text = h("span", { class: "link-preview-text" });
  const site = preview.site_name || new URL(href).hostname;
  text.append(h("span", { class: "link-preview-site", dir: "auto" }, site));
  if (preview.title) text.append(h("strong", { class: "link-preview-title", dir: "auto" }, preview.title));
  if (preview.description) text.append(h("span", { class: "link-preview-desc", dir: "auto" }, preview.description));
  card.append(text);
  return card;
}

/** `value` when it is this origin's /media/ path, else null. */
export function ownMediaUrl(value) {
  const url = safeUrl(value);
  if (!url) return null;
  const parsed = new URL(url);
  return parsed.origin === location.origin && parsed.pathname.startsWith("/media/") ? url : null;
}
