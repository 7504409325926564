// The reader's display preferences: text size, contrast and motion, remembered in this browser
// (localStorage) and applied to <html> as data attributes that assets/a11y.css styles.
// Loaded as a plain <script src> in the head, so they apply before the first paint. The panel
// (ofair_app/ui/components/a11y.py) holds buttons with data-a11y="setting:value"; one click
// listener on the document serves every copy of it. A file rather than an inline script, so the
// pages' CSP allows it as 'self'.
(function () {
  if (window.__ofairA11y) return;
  var KEY = 'ofair-a11y';
  var CHOICES = {
    'text-size': ['100', '125', '150'],
    'contrast': ['standard', 'more'],
    'motion': ['full', 'reduce']
  };
  var root = document.documentElement;

  function stored() {
    try {
      var value = JSON.parse(window.localStorage.getItem(KEY) || '{}');
      return value && typeof value === 'object' ? value : {};
    } catch (e) {
      return {};
    }
  }

  function save(prefs) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(prefs));
    } catch (e) { /* private mode: this page only */ }
  }

  function system(setting) {
    if (!window.matchMedia) return CHOICES[setting][0];
    if (setting === 'contrast') {
      return window.matchMedia('(prefers-contrast: more)').matches ? 'more' : 'standard';
    }
    if (setting === 'motion') {
      return window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'reduce' : 'full';
    }
    return '100';
  }

  // What applies now: the reader's own choice, else the system's.
  function current(setting) {
    var value = stored()[setting];
    return CHOICES[setting].indexOf(value) >= 0 ? value : system(setting);
  }

  function apply() {
    for (var setting in CHOICES) root.setAttribute('data-' + setting, current(setting));
  }

  // Every option button shows whether it is the one in force.
  function mark() {
    var buttons = document.querySelectorAll('[data-a11y]');
    for (var i = 0; i < buttons.length; i++) {
      var pair = buttons[i].getAttribute('data-a11y').split(':');
      if (pair[0] === 'reset') continue;
      buttons[i].setAttribute('aria-pressed', current(pair[0]) === pair[1] ? 'true' : 'false');
    }
  }

  apply();

  document.addEventListener('click', function (event) {
    if (!event.target.closest) return;
    if (event.target.closest('.a11y-open')) {
      // the panel is about to be drawn
      setTimeout(mark, 0);
      setTimeout(mark, 120);
      return;
    }
    var button = event.target.closest('[data-a11y]');
    if (!button) return;
    var pair = button.getAttribute('data-a11y').split(':');
    var prefs = stored();
    if (pair[0] === 'reset') {
      prefs = {};
    } else if (CHOICES[pair[0]] && CHOICES[pair[0]].indexOf(pair[1]) >= 0) {
      prefs[pair[0]] = pair[1];
    } else {
      return;
    }
    save(prefs);
    apply();
    mark();  // aria-pressed tells a screen reader what changed
  });

  // The panel is drawn when it opens: mark its buttons as focus enters it.
  document.addEventListener('focusin', function (event) {
    if (event.target.closest && event.target.closest('#a11y-panel')) mark();
  });

  // Another tab changed them: follow.
  window.addEventListener('storage', function (event) {
    if (event.key === KEY) { apply(); mark(); }
  });

  // The system's setting changed and the reader chose nothing: follow it.
  if (window.matchMedia) {
    ['(prefers-contrast: more)', '(prefers-reduced-motion: reduce)'].forEach(function (query) {
      var list = window.matchMedia(query);
      if (list.addEventListener) list.addEventListener('change', function () { apply(); mark(); });
    });
  }

  window.__ofairA11y = { apply: apply, mark: mark, current: current };
})();
