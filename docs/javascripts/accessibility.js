/*
 * Accessibility fixes to Material's markup (tests/site/test_accessibility.py runs axe-core):
 * - the search dialog gets an accessible name, the one its search field already has;
 * - the breadcrumbs are a navigation landmark named "Breadcrumb", not a second "Navigation";
 * - the copy and select buttons of a code block are not one more unnamed navigation landmark;
 * - the marker of a code annotation is a link named after its note ("Note 1"), not an empty one;
 * - a row of tab labels, or a diagram, too wide for the column scrolls: it can be reached with
 *   the keyboard.
 * Material adds these elements from script, on every page instant navigation brings in, so
 * the fixes apply to whatever enters the document.
 */
(() => {
  "use strict";
  const fix = () => {
    for (const dialog of document.querySelectorAll('.md-search[role="dialog"]:not([aria-label])')) {
      const field = dialog.querySelector("input[aria-label]");
      dialog.setAttribute("aria-label", field ? field.getAttribute("aria-label") : "Search");
    }
    for (const path of document.querySelectorAll("nav.md-path:not([data-labelled])")) {
      path.setAttribute("aria-label", "Breadcrumb");
      path.setAttribute("data-labelled", "");
    }
    for (const buttons of document.querySelectorAll("nav.md-code__nav:not([role])")) {
      buttons.setAttribute("role", "none");
    }
    for (const marker of document.querySelectorAll("a.md-annotation__index:not([aria-label])")) {
      const number = marker.querySelector("[data-md-annotation-id]");
      marker.setAttribute("aria-label", `Note ${number ? number.dataset.mdAnnotationId : ""}`);
    }
    for (const labels of document.querySelectorAll(".tabbed-labels:not([tabindex])")) {
      if (labels.scrollWidth > labels.clientWidth) {
        labels.setAttribute("tabindex", "0");
        labels.setAttribute("aria-label", "Tabs");
      }
    }
    for (const diagram of document.querySelectorAll("div.mermaid:not([tabindex])")) {
      if (diagram.scrollWidth > diagram.clientWidth) {
        diagram.setAttribute("tabindex", "0");
        diagram.setAttribute("role", "group");
        diagram.setAttribute("aria-label", "Diagram");
      }
    }
  };
  fix();
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
})();
