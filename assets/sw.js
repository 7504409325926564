// OFAIR's service worker: the installable pro app (manifest id/start_url /pro) opens offline and
// receives Web Push notifications. Served from assets/ at the site root, so its scope is "/";
// assets/pwa.js registers it on the pro PWA's pages only (/pro, /notifications, /account).
// Plain JavaScript, no build step, no libraries.
//
// What it caches (one versioned cache, VERSION):
//   - on install, a few files the offline page and the notifications need (PRECACHE);
//   - page navigations, network first: the network's answer is always preferred and kept as a
//     fallback for that URL; offline, the kept copy (else /offline.html) is served;
//   - static files (Reflex's hashed bundles under /assets/, icons, fonts, our CSS/JS):
//     stale-while-revalidate, so once a pro page has loaded, its app shell opens offline.
// What it never touches: anything but same-origin GETs, Reflex's socket (/_event, including
// socket.io's HTTP polling), uploads, health checks, the REST API and any request carrying an
// Authorization header. Those go to the network exactly as if there were no worker.
//
// Deploying a change to this file, or needing every client to drop what it cached: bump VERSION.
// The old cache is deleted when the new worker activates.
"use strict";

const VERSION = "ofair-v1";
const CACHE_PREFIX = "ofair-";
const OFFLINE_URL = "/offline.html";
const PRECACHE = [
  OFFLINE_URL,
  "/manifest.json",
  "/favicon.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];
// Past this many entries the oldest (least recently stored) runtime entries are dropped, so
// hashed bundles of past deploys do not pile up within one VERSION. Precached files stay.
const MAX_ENTRIES = 200;

// Registered as "/sw.js?cache=off" (assets/pwa.js does so on Reflex's development server, whose
// modules change on every edit), the worker handles push only: no fetch is ever intercepted.
const CACHE_OFF = new URL(self.location.href).searchParams.get("cache") === "off";

// Paths that are never intercepted (prefix match on the URL's path). The last two are the
// development server's (Vite) internals, in case a caching worker is ever active there.
const BYPASS_PREFIXES = [
  "/_event", "/api/", "/_upload", "/ping", "/_health", "/sw.js", "/@", "/node_modules/",
];
// Static files served stale-while-revalidate: by folder...
const STATIC_PREFIXES = ["/assets/", "/_next/", "/icons/", "/fonts/"];
// ...or by extension.
const STATIC_EXTENSION = /\.(?:css|js|mjs|woff2|png|svg)$/i;

// The notification shown when a push carries no usable payload.
const GENERIC_PUSH = {
  title: "OFAIR",
  body: "יש לך עדכון חדש",
  url: "/notifications",
  lang: "he",
  dir: "rtl",
};
const NOTIFICATION_ICON = "/icons/icon-192.png";
const FALLBACK_TARGET = "/notifications";

// ---------------------------------------------------------------------------------------------
// Life cycle
// ---------------------------------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      // cache: "reload" skips the browser's HTTP cache, so a new VERSION stores fresh copies.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
      // The new worker takes over without waiting for every tab of the old one to close.
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(CACHE_PREFIX) && name !== VERSION)
          .map((name) => caches.delete(name))
      );
      // Navigation preload: the browser starts a page's request while the worker boots, so
      // network-first navigations cost no extra latency. Not everywhere (Safari < 15.4).
      if (self.registration.navigationPreload) {
        try {
          await self.registration.navigationPreload.enable();
        } catch (e) {
          /* not fatal: navigations are fetched by the worker instead */
        }
      }
      // Control the pages already open, not only the ones opened from now on.
      await self.clients.claim();
    })()
  );
});

// The page may ask a waiting worker to take over at once (e.g. after an "update ready" prompt).
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") {
    self.skipWaiting();
  }
});

// ---------------------------------------------------------------------------------------------
// Fetch
// ---------------------------------------------------------------------------------------------

/** Whether the worker may answer this request at all (otherwise the browser does, untouched). */
function isHandled(request, url) {
  if (CACHE_OFF) return false;
  if (request.method !== "GET") return false;
  if (url.origin !== self.location.origin) return false;
  if (request.headers.has("Authorization")) return false;
  // Range requests (media) get 206 answers, which the Cache API refuses.
  if (request.headers.has("Range")) return false;
  return !BYPASS_PREFIXES.some((prefix) => url.pathname.startsWith(prefix));
}

function isStatic(url) {
  return (
    STATIC_PREFIXES.some((prefix) => url.pathname.startsWith(prefix)) ||
    STATIC_EXTENSION.test(url.pathname)
  );
}

/** Only complete, same-origin, non-redirected 200 answers are worth keeping. */
function isCacheable(response) {
  return Boolean(
    response && response.status === 200 && response.type === "basic" && !response.redirected
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (!isHandled(request, url)) return;

  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
  } else if (isStatic(url)) {
    event.respondWith(staleWhileRevalidate(event));
  }
  // Anything else (same-origin GETs that are neither pages nor static files) goes to the
  // network untouched.
});

/** A page: the network's answer (kept for offline use), else the kept copy, else offline.html. */
async function networkFirstPage(event) {
  const request = event.request;
  try {
    const preloaded = await event.preloadResponse;
    const response = preloaded || (await fetch(request));
    if (isCacheable(response)) {
      const copy = response.clone();
      event.waitUntil(store(request, copy));
    }
    // Any answer from the server (a 404, a redirect, a 500) is the truth: served as it is.
    return response;
  } catch (networkError) {
    const cache = await caches.open(VERSION);
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    const offline = await cache.match(OFFLINE_URL);
    if (offline) return offline;
    // Not even the offline page (storage evicted): a minimal answer rather than a browser error.
    return new Response('<!doctype html><html lang="he" dir="rtl"><meta charset="utf-8">' +
        "<title>OFAIR</title><main><h1>אין חיבור לאינטרנט</h1></main></html>", {
      status: 503,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  }
}

/** A static file: the kept copy at once (refreshed in the background), else the network. */
async function staleWhileRevalidate(event) {
  const request = event.request;
  const cache = await caches.open(VERSION);
  const kept = await cache.match(request);
  const refresh = fetch(request).then(async (response) => {
    if (isCacheable(response)) await store(request, response.clone());
    return response;
  });
  if (kept) {
    // Refresh quietly; a failure (offline) just keeps the copy we have.
    event.waitUntil(refresh.catch(() => undefined));
    return kept;
  }
  return refresh;
}

async function store(request, response) {
  try {
    const cache = await caches.open(VERSION);
    await cache.put(request, response);
    await trim(cache);
  } catch (e) {
    /* quota exceeded or storage unavailable: caching is best effort */
  }
}

/** Drops the oldest runtime entries past MAX_ENTRIES (keys() lists the oldest stored first). */
async function trim(cache) {
  const keys = await cache.keys();
  let excess = keys.length - MAX_ENTRIES;
  for (const key of keys) {
    if (excess <= 0) break;
    if (PRECACHE.includes(new URL(key.url).pathname)) continue;
    await cache.delete(key);
    excess -= 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Push notifications
// ---------------------------------------------------------------------------------------------

/**
 * The notification a push asks for. The payload is JSON:
 *   {"title": str, "body": str, "url": "/path", "tag": str?, "lang": "he"|"en", "dir": "rtl"|"ltr"}
 * A missing or unreadable payload gives the generic notification (Chrome and Safari require
 * every push to show one: a silent push costs the subscription).
 */
function readPush(data) {
  let payload = null;
  if (data) {
    try {
      payload = data.json();
    } catch (e) {
      payload = null;
    }
  }
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { ...GENERIC_PUSH, tag: undefined };
  }
  const text = (value) => (typeof value === "string" && value.trim() ? value : "");
  const lang = payload.lang === "en" ? "en" : "he";
  const dir = payload.dir === "ltr" || payload.dir === "rtl" ? payload.dir : lang === "en" ? "ltr" : "rtl";
  const title = text(payload.title);
  return {
    title: title || GENERIC_PUSH.title,
    body: text(payload.body) || (title ? "" : GENERIC_PUSH.body),
    url: text(payload.url) || GENERIC_PUSH.url,
    tag: text(payload.tag) || undefined,
    lang,
    dir,
  };
}

self.addEventListener("push", (event) => {
  const push = readPush(event.data);
  const options = {
    body: push.body,
    icon: NOTIFICATION_ICON,
    badge: NOTIFICATION_ICON,
    lang: push.lang,
    dir: push.dir,
    data: { url: push.url },
  };
  if (push.tag) {
    // The same tag replaces the earlier notification; renotify alerts the reader again.
    options.tag = push.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(push.title, options));
});

/** The page a notification opens: its data.url on our origin, else /notifications. */
function notificationTarget(data) {
  const raw = data && typeof data.url === "string" && data.url ? data.url : FALLBACK_TARGET;
  let target;
  try {
    target = new URL(raw, self.location.origin);
  } catch (e) {
    target = null;
  }
  if (!target || target.origin !== self.location.origin) {
    target = new URL(FALLBACK_TARGET, self.location.origin);
  }
  return target;
}

/**
 * Brings the reader to `target`: a window already showing it is focused; else an open window of
 * ours is focused and navigated there; else a new window opens.
 */
async function openTarget(target) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const ours = windows.filter((client) => new URL(client.url).origin === self.location.origin);
  const sameUrl = ours.find((client) => client.url.split("#")[0] === target.href.split("#")[0]);
  if (sameUrl) {
    return sameUrl.focus();
  }
  // navigate() works only on a window this worker controls; prefer the focused one.
  const controlled = ours
    .filter((client) => typeof client.navigate === "function")
    .sort((a, b) => Number(b.focused) - Number(a.focused));
  for (const candidate of controlled) {
    let client = candidate;
    try {
      // Focus first: the permission to focus comes with the click and must be used early.
      client = (await candidate.focus()) || candidate;
    } catch (e) {
      /* focus refused: the window is still worth navigating */
    }
    try {
      // Resolves to the navigated window (null only if it left our origin): done either way.
      return await client.navigate(target.href);
    } catch (e) {
      /* not controlled by us (or gone): try the next window, then a new one */
    }
  }
  return self.clients.openWindow(target.href);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = notificationTarget(event.notification.data);
  event.waitUntil(openTarget(target).catch(() => undefined));
});

// The push service replaced or expired the subscription. The worker cannot tell our server
// (that needs the signed-in page), so it asks any open page to subscribe again; assets/pwa.js
// turns the message into a window event "ofair-push-resubscribe".
async function askPagesToResubscribe() {
  try {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) client.postMessage({ type: "ofair-push-resubscribe" });
    return windows.length;
  } catch (e) {
    return 0; /* best effort: the page also checks its subscription when it next loads */
  }
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(askPagesToResubscribe());
});
