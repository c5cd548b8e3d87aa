/*
 * Accessibility fixes to Material's markup (tests/site/test_accessibility.py runs axe-core):
 * the search dialog gets an accessible name, the one its search field already has.
 * The header is never replaced by instant navigation, so once per full load is enough.
 */
(() => {
  "use strict";
  for (const dialog of document.querySelectorAll('.md-search[role="dialog"]:not([aria-label])')) {
    const field = dialog.querySelector("input[aria-label]");
    dialog.setAttribute("aria-label", field ? field.getAttribute("aria-label") : "Search");
  }
})();
