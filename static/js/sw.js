// The service worker, served from /sw.js (root scope): it shows a notification for each Web Push
// the server sends while no tab of ours is connected, keeps the app badge at the unread total, and
// on a click brings a tab to the message. It caches nothing: the app is live data or nothing.
// A classic script (not a module): every browser that has Web Push runs it.

const ICON = "/static/img/icon-192.png";
const BADGE = "/static/img/badge-96.png";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** The notification for one push payload `{type, room_id, message_id, title, body, url, unread_total}`. */
function notificationFor(payload) {
  const roomId = typeof payload.room_id === "string" ? payload.room_id : "";
  return {
    title: String(payload.title || "New message"),
    options: {
      body: String(payload.body || ""),
      icon: ICON,
      badge: BADGE,
      // One notification per room: a burst of messages replaces it instead of stacking up.
      tag: roomId ? `room-${roomId}` : "chatapp",
      data: { url: sameOriginUrl(payload.url, roomId, payload.message_id), roomId, messageId: payload.message_id },
    },
  };
}

/** Only a page of this site is ever opened from a notification: else the message's own address. */
function sameOriginUrl(url, roomId, messageId) {
  try {
    const parsed = new URL(url || "/", self.location.origin);
    if (parsed.origin === self.location.origin) return parsed.href;
  } catch {
    /* fall through to the message's own address */
  }
  const path =
    roomId && messageId ? `/rooms/${encodeURIComponent(roomId)}/messages/${encodeURIComponent(messageId)}` : "/";
  return `${self.location.origin}${path}`;
}

function setBadge(total) {
  if (!("setAppBadge" in navigator) || !Number.isFinite(total)) return Promise.resolve();
  const done = total > 0 ? navigator.setAppBadge(total) : navigator.clearAppBadge();
  return done.catch(() => {}); // not installed, or the platform has no badges
}

self.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data?.text() || "" };
  }
  // Browsers require a visible notification for every push (userVisibleOnly): always show one.
  const { title, options } = notificationFor(payload || {});
  event.waitUntil(
    Promise.all([self.registration.showNotification(title, options), setBadge(Number(payload?.unread_total))]),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const { url, roomId, messageId } = event.notification.data || {};
  event.waitUntil(openOrFocus(url || "/", roomId, messageId));
});

/** An open tab of ours is focused and asked to show the room; otherwise a new one opens at `url`. */
async function openOrFocus(url, roomId, messageId) {
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = tabs.find((client) => new URL(client.url).origin === self.location.origin);
  if (tab) {
    await tab.focus();
    tab.postMessage({ type: "open-room", room_id: roomId, message_id: messageId });
    return;
  }
  await self.clients.openWindow(url);
}
