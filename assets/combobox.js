// The keyboard of a combobox with a list of suggestions (WAI-ARIA APG "combobox with listbox
// popup", the town picker in ofair_app/ui/components/pickers.py): focus stays in the text
// field and aria-activedescendant names the active option, so a screen reader says it.
//   ArrowDown / ArrowUp  the next / previous option (opens a list Escape closed; wraps around)
//   Home / End           the first / last option, once an option is active (else the caret)
//   Enter                chooses the active option (a click on it: the page's own handler)
//   Escape               closes the list; focus stays in the field
// Typing starts over. Any <input role="combobox" aria-controls="LIST"> whose LIST holds
// [role="option"] elements with ids gets this. A file rather than an inline script, so the
// pages' CSP allows it as 'self'; loaded in the head, it listens on the document.
(function () {
  if (window.__ofairCombobox) return;

  function parts(input) {
    var list = document.getElementById(input.getAttribute('aria-controls') || '');
    var options = list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]'))
      : [];
    return { list: list, options: options };
  }

  function activeIndex(input, options) {
    var id = input.getAttribute('aria-activedescendant');
    if (!id) return -1;
    for (var i = 0; i < options.length; i++) if (options[i].id === id) return i;
    return -1;
  }

  function clear(input) {
    input.removeAttribute('aria-activedescendant');
    var found = parts(input);
    found.options.forEach(function (option) {
      option.removeAttribute('data-active');
      option.setAttribute('aria-selected', 'false');
    });
  }

  function setOpen(input, list, open) {
    if (open) list.removeAttribute('hidden'); else list.setAttribute('hidden', '');
    input.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  // The page redraws the list as results arrive: an active option that is gone is forgotten.
  function watch(input, list) {
    if (!window.MutationObserver || list.__ofairWatched) return;
    list.__ofairWatched = true;
    new MutationObserver(function () {
      var found = parts(input);
      if (found.list !== list || activeIndex(input, found.options) < 0) clear(input);
    }).observe(list, { childList: true, subtree: true, characterData: true,
                       attributes: true, attributeFilter: ['id'] });
  }

  function activate(input, options, index) {
    options.forEach(function (option, i) {
      var on = i === index;
      if (on) option.setAttribute('data-active', 'true'); else option.removeAttribute('data-active');
      option.setAttribute('aria-selected', on ? 'true' : 'false');
    });
    input.setAttribute('aria-activedescendant', options[index].id);
    if (options[index].scrollIntoView) options[index].scrollIntoView({ block: 'nearest' });
  }

  document.addEventListener('keydown', function (event) {
    var input = event.target;
    if (!input || !input.matches || !input.matches('input[role="combobox"][aria-controls]')) {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    var found = parts(input), list = found.list, options = found.options;
    if (!list || !options.length) return;
    var open = !list.hasAttribute('hidden');
    var index = open ? activeIndex(input, options) : -1;
    var last = options.length - 1;
    var next = null;
    switch (event.key) {
      case 'ArrowDown':
        next = index < 0 || index >= last ? 0 : index + 1;
        break;
      case 'ArrowUp':
        next = index <= 0 ? last : index - 1;
        break;
      case 'Home':
        if (index >= 0) next = 0;
        break;
      case 'End':
        if (index >= 0) next = last;
        break;
      case 'Enter':
        if (index >= 0) {
          event.preventDefault();
          options[index].click();
          clear(input);
        }
        return;
      case 'Escape':
        if (open) {
          event.preventDefault();
          event.stopPropagation();  // a dialog around the field stays open
          clear(input);
          setOpen(input, list, false);
        }
        return;
      default:
        return;
    }
    if (next === null) return;
    event.preventDefault();
    if (!open) setOpen(input, list, true);
    watch(input, list);
    activate(input, options, next);
  }, true);

  // Typing starts over, and shows a list Escape closed.
  document.addEventListener('input', function (event) {
    var input = event.target;
    if (!input || !input.matches || !input.matches('input[role="combobox"][aria-controls]')) {
      return;
    }
    clear(input);
    var list = parts(input).list;
    if (list && list.hasAttribute('hidden')) setOpen(input, list, true);
  }, true);

  // A tap or click on an option leaves focus in the field (the option is not a tab stop).
  document.addEventListener('mousedown', function (event) {
    var option = event.target && event.target.closest && event.target.closest('[role="option"]');
    var list = option && option.closest('[role="listbox"][id]');
    if (list && document.querySelector('input[role="combobox"][aria-controls="' + list.id + '"]')) {
      event.preventDefault();
    }
  }, true);

  window.__ofairCombobox = { clear: clear };
})();
