// The requirement tree: "tick all" and a count of ticked rows. Delegated from the document,
// so it keeps working after htmx swaps the table.
(function () {
  "use strict";
  function boxes() {
    return document.querySelectorAll('input[type=checkbox][name=requirements][form=bulk-form]');
  }
  function showCount() {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) { n += 1; } });
    var out = document.querySelector("[data-selected-count]");
    if (out) { out.textContent = n ? "(" + n + " ticked)" : ""; }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-pick-all]")) {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches && (target.matches("[data-pick-all]") || target.name === "requirements")) {
      showCount();
    }
  });
  document.addEventListener("htmx:afterSwap", showCount);
  document.addEventListener("DOMContentLoaded", showCount);
})();
