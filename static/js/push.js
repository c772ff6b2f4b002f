// Web Push from the page's side: the service worker's registration, and this browser's push
// subscription kept in step with the server (GET /push/key, POST and DELETE /push/subscriptions).
// Permission is asked only from the settings button, never on page load.
import { api } from "./api.js";

/** Registers /sw.js (root scope) where service workers exist; resolves to the registration or null. */
export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    console.warn("service worker:", error.message);
    return null;
  }
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** The server's VAPID public key as the bytes PushManager wants (base64url of a P-256 point). */
export function keyBytes(base64url) {
  const base64 = base64url
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * Where push stands in this browser: "unsupported", "unavailable" (the server has no push: its
 * key is a 404), "blocked" (the browser's permission is denied), "on" or "off".
 */
export async function pushState() {
  if (!pushSupported()) return "unsupported";
  if (!(await serverKey())) return "unavailable";
  if (Notification.permission === "denied") return "blocked";
  const subscription = await currentSubscription();
  return subscription && Notification.permission === "granted" ? "on" : "off";
}

/** This browser's push subscription, or null (never waits for a worker that is not there). */
async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return (await registration?.pushManager.getSubscription()) || null;
}

/**
 * At start: a subscription this browser still has is stored again (the same endpoint is an
 * update on the server), so one the server dropped (a password change elsewhere) comes back.
 */
export async function resyncPush() {
  if (!pushSupported() || Notification.permission !== "granted" || !(await serverKey())) return;
  const subscription = await currentSubscription();
  if (subscription) await api.addPushSubscription(subscription.toJSON()).catch(() => {});
}

let keyPromise = null;
/** The server's public key, or null when push is off there; asked once per page. */
function serverKey() {
  keyPromise ||= api.pushKey().then(
    (body) => body.public_key || null,
    (error) => {
      if (error.status !== 404) keyPromise = null; // a network blip: ask again next time
      return null;
    },
  );
  return keyPromise;
}

/** Asks for permission (from a click), subscribes and stores the subscription on the server. */
export async function turnPushOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "blocked" : "off";
  const key = await serverKey();
  if (!key) return "unavailable";
  if (!(await registerServiceWorker())) return "unsupported";
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another server key (the keys were rotated) cannot be used: start over.
  const current = subscription?.options?.applicationServerKey;
  if (subscription && current && !sameBytes(new Uint8Array(current), keyBytes(key))) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ||= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(key),
  });
  await api.addPushSubscription(subscription.toJSON());
  return "on";
}

/** Forgets this browser's subscription, here and on the server (also on logout). */
export async function turnPushOff() {
  const subscription = await currentSubscription();
  if (!subscription) return "off";
  await api.removePushSubscription(subscription.endpoint).catch((error) => {
    if (error.status !== 404) throw error;
  });
  await subscription.unsubscribe();
  return "off";
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
