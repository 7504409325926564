/* The check-in page's "Scan" (issue 20 point 3): read the client's QR code with the camera
   where the browser can (BarcodeDetector), and open the check-in link it holds. Where it
   cannot, the button stays hidden: the phone's own camera opens the link, or the code is
   typed. Only a link to this site's check-in page is followed. */
(function () {
  "use strict";
  var stream = null;

  function supported() {
    return "BarcodeDetector" in window && navigator.mediaDevices &&
      typeof navigator.mediaDevices.getUserMedia === "function";
  }

  function reveal() {
    var button = document.getElementById("check-in-scan");
    if (button && supported()) { button.style.display = "inline-flex"; }
    return !!button;
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }

  function checkInLink(raw) {
    try {
      var url = new URL(raw, window.location.href);
      if (url.origin === window.location.origin && url.pathname === "/pro/check-in" &&
          url.searchParams.get("t")) { return url.href; }
    } catch (e) { /* not a link */ }
    return null;
  }

  async function start() {
    var video = document.getElementById("check-in-camera");
    if (!video || !supported()) { return; }
    stop();
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.style.display = "block";
    await video.play();
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    async function look() {
      if (!stream) { return; }
      try {
        var found = await detector.detect(video);
        for (var i = 0; i < found.length; i++) {
          var link = checkInLink(found[i].rawValue || "");
          if (link) { stop(); window.location.assign(link); return; }
        }
      } catch (e) { /* a frame not ready yet */ }
      window.requestAnimationFrame(look);
    }
    look();
  }

  window.ofairScan = { start: start, stop: stop, checkInLink: checkInLink };
  window.addEventListener("pagehide", stop);
  // React draws the page after this script runs: look for the button for a few seconds.
  var tries = 0;
  var timer = window.setInterval(function () {
    if (reveal() || ++tries > 40) { window.clearInterval(timer); }
  }, 250);
})();
