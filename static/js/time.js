// Dates as people read them: "now", "5m", "14:05", "Yesterday", "Mon 3 Mar 2025".

export function relativeShort(iso, now = Date.now()) {
  if (!iso) return "";
  const t = Date.parse(iso);
  const diff = Math.max(0, now - t);
  if (diff < 60_000) return "now";
  if (diff < 3_600_000) return `${Math.floor(diff / 60_000)}m`;
  if (diff < 86_400_000) return `${Math.floor(diff / 3_600_000)}h`;
  if (diff < 7 * 86_400_000) return `${Math.floor(diff / 86_400_000)}d`;
  return new Date(t).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(iso, now = Date.now()) {
  const d = new Date(iso);
  const today = new Date(now);
  const yesterday = new Date(now - 86_400_000);
  if (dayKey(d) === dayKey(today)) return "Today";
  if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
  return d.toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: d.getFullYear() === today.getFullYear() ? undefined : "numeric",
  });
}

export function lastSeenText(iso) {
  if (!iso) return "offline";
  const rel = relativeShort(iso);
  return rel === "now" ? "last seen just now" : `last seen ${rel} ago`;
}
