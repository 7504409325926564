// The Lead Board (/pro): clicks "more" when it scrolls near the viewport, so more cards load
// as the list scrolls. A file rather than an inline script, so the pages' CSP allows it as 'self'.
if (!window.__ofairMore) {
  window.__ofairMore = setInterval(function () {
    var more = document.getElementById('board-more');
    if (!more || more.disabled) return;
    if (more.getBoundingClientRect().top < window.innerHeight + 300) more.click();
  }, 600);
}
