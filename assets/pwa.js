// The pro app's PWA glue, loaded on every page (<script src="/pwa.js" defer>). A file rather
// than an inline script, so the pages' CSP allows it as 'self'.
//
// 1. Registers the service worker (/sw.js, scope "/") on the pro PWA's pages only: /pro,
//    /notifications and /account (whole path segments: /pros/... is a consumer page). The
//    consumer pages get no worker (once it is installed, though, its scope is the whole site).
//    On Reflex's development server it is registered as /sw.js?cache=off: push only, no cache.
// 2. window.ofairPush: Web Push for the page's Python side. Every function is async, never
//    throws and resolves to a plain JSON-serialisable object, so Reflex can hand the result to
//    a handler: rx.call_script("ofairPush.subscribe('<key>')", callback=State.on_subscribed).
//      status()          -> {supported, permission, subscribed, standalone, ios}
//      subscribe(key)    -> {ok: true, subscription: {endpoint, expirationTime, keys: {p256dh, auth}}}
//                           | {ok: false, reason: "denied" | "unsupported" | "error", message?}
//      unsubscribe()     -> {ok: true, endpoint: <the endpoint removed, or null>}
//                           | {ok: false, reason: "error", message}
//    Browsers ask for notification permission only after a click: call subscribe() from a
//    click's own script (Safari refuses a prompt that a server round trip has delayed).
// 3. When the worker reports the push service changed the subscription, fires the window event
//    "ofair-push-resubscribe" (the page subscribes again and tells the server).
(function () {
  if (window.ofairPush) return;

  var SW_URL = "/sw.js";
  var SW_SCOPE = "/";
  var PWA_PATHS = /^\/(?:pro|notifications|account)(?:[/?#]|$)/;
  // How long to wait for the worker or the push service before giving up (ms).
  var TIMEOUT = 20000;

  var hasWorker = "serviceWorker" in navigator;

  function pushSupported() {
    return hasWorker && "PushManager" in window && "Notification" in window;
  }

  function isIOS() {
    var ua = navigator.userAgent || "";
    // iPadOS 13+ reports itself as a Mac ("MacIntel"), but a Mac has no touch screen.
    return /iPad|iPhone|iPod/.test(ua) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function isStandalone() {
    var media = false;
    try {
      media = Boolean(window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
    } catch (e) { /* no media queries */ }
    return media || navigator.standalone === true;
  }

  function permission() {
    if (!("Notification" in window)) return "unsupported";
    var value = Notification.permission;
    return value === "granted" || value === "denied" ? value : "default";
  }

  function failure(error) {
    var message = error && error.message ? String(error.message) : String(error);
    var result = { ok: false, reason: "error", message: message };
    if (error && error.name) result.name = String(error.name);
    return result;
  }

  // A promise that rejects after `ms` unless `promise` settles first.
  function withTimeout(promise, ms, what) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error(what + " timed out")); }, ms);
      promise.then(
        function (value) { clearTimeout(timer); resolve(value); },
        function (error) { clearTimeout(timer); reject(error); }
      );
    });
  }

  // Reflex's development server (Vite) serves unhashed modules that change on every edit, which
  // a caching worker would serve stale: there the worker is registered as "/sw.js?cache=off"
  // and handles push only. Detected by Vite's client, which every dev page loads.
  function isViteDev() {
    try {
      var loaded = performance.getEntriesByType("resource").some(function (entry) {
        return entry.name.indexOf("/@vite/client") >= 0;
      });
      return loaded || Boolean(document.querySelector('script[src*="/@vite/client"]'));
    } catch (e) {
      return false;
    }
  }

  // updateViaCache "none": the browser checks /sw.js itself for updates, never an HTTP-cached copy.
  function register() {
    var url = isViteDev() ? SW_URL + "?cache=off" : SW_URL;
    return navigator.serviceWorker.register(url, { scope: SW_SCOPE, updateViaCache: "none" });
  }

  // The worker's registration, registering it first if this origin has none.
  function registration() {
    return navigator.serviceWorker.getRegistration(SW_SCOPE).then(function (existing) {
      return existing || register();
    }).then(function () {
      return withTimeout(navigator.serviceWorker.ready, TIMEOUT, "service worker");
    });
  }

  // The base64url VAPID public key as bytes (what pushManager.subscribe takes).
  function keyBytes(base64url) {
    var base64 = String(base64url).trim().replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameBytes(buffer, bytes) {
    if (!buffer) return false;
    var other = new Uint8Array(buffer);
    if (other.length !== bytes.length) return false;
    for (var i = 0; i < bytes.length; i++) if (other[i] !== bytes[i]) return false;
    return true;
  }

  function describe(subscription) {
    var json = subscription.toJSON ? subscription.toJSON() : {};
    var keys = json.keys || {};
    return {
      endpoint: String(json.endpoint || subscription.endpoint || ""),
      expirationTime: typeof json.expirationTime === "number" ? json.expirationTime : null,
      keys: { p256dh: String(keys.p256dh || ""), auth: String(keys.auth || "") }
    };
  }

  // Notification.requestPermission: a promise in current browsers, a callback in old Safari.
  function askPermission() {
    return new Promise(function (resolve) {
      var answer = Notification.requestPermission(resolve);
      if (answer && typeof answer.then === "function") answer.then(resolve, function () {
        resolve(permission());
      });
    });
  }

  function status() {
    var result = {
      supported: pushSupported(),
      permission: permission(),
      subscribed: false,
      standalone: isStandalone(),
      ios: isIOS()
    };
    if (!result.supported) return Promise.resolve(result);
    return navigator.serviceWorker.getRegistration(SW_SCOPE).then(function (reg) {
      return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      result.subscribed = Boolean(subscription);
      return result;
    }).catch(function () {
      return result;
    });
  }

  function subscribe(applicationServerKey) {
    if (!pushSupported()) return Promise.resolve({ ok: false, reason: "unsupported" });
    var key;
    try {
      key = keyBytes(applicationServerKey);
      if (!key.length) throw new Error("empty applicationServerKey");
    } catch (error) {
      return Promise.resolve(failure(error));
    }
    // Ask first, while the click's user activation is still fresh (Safari requires it).
    var asked = permission() === "default" ? askPermission() : Promise.resolve(permission());
    return asked.then(function (answer) {
      if (answer !== "granted") {
        // Refused, or the prompt was dismissed ("default": the browser may ask again later).
        return { ok: false, reason: "denied", permission: answer === "denied" ? "denied" : permission() };
      }
      return registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          if (existing && sameBytes(existing.options && existing.options.applicationServerKey, key)) {
            return existing;
          }
          // Another server key (rotated): the old subscription must go before a new one.
          var cleared = existing ? existing.unsubscribe() : Promise.resolve(true);
          return cleared.then(function () {
            return withTimeout(
              reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
              TIMEOUT, "push subscription");
          });
        });
      }).then(function (subscription) {
        return { ok: true, subscription: describe(subscription) };
      });
    }).catch(failure);
  }

  function unsubscribe() {
    if (!hasWorker) return Promise.resolve({ ok: true, endpoint: null });
    return navigator.serviceWorker.getRegistration(SW_SCOPE).then(function (reg) {
      return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      if (!subscription) return { ok: true, endpoint: null };
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return { ok: true, endpoint: endpoint };
      });
    }).catch(failure);
  }

  window.ofairPush = { status: status, subscribe: subscribe, unsubscribe: unsubscribe };

  if (!hasWorker) return;

  // The worker's messages to this page.
  navigator.serviceWorker.addEventListener("message", function (event) {
    var data = event.data;
    if (data && data.type === "ofair-push-resubscribe") {
      window.dispatchEvent(new CustomEvent("ofair-push-resubscribe", { detail: { type: data.type } }));
    }
  });
  // Messages wait in a queue until the page starts it (an onmessage handler would, too).
  if (navigator.serviceWorker.startMessages) navigator.serviceWorker.startMessages();

  // Register on the PWA's pages, once the page has loaded (the worker's first install then
  // downloads its precache without competing with the page's own files).
  function start() {
    if (!PWA_PATHS.test(window.location.pathname)) return;
    register().catch(function () { /* no worker: the site still works online */ });
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start, { once: true });
})();
