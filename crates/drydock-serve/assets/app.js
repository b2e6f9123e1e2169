// drydock serve: small progressive enhancements. Every page works without this file.
"use strict";

function syncTriageForm(form) {
  var scope = form.querySelector("[name=scope]");
  var state = form.querySelector("[name=state]");
  var show = function (sel, on) {
    var el = form.querySelector(sel);
    if (el) { el.hidden = !on; }
  };
  if (scope) {
    show(".f-repository", scope.value === "image");
    show(".f-release", scope.value === "release");
  }
  if (state) {
    show(".f-justification", state.value === "not_affected");
    var expires = form.querySelector("[name=expires]");
    if (expires) { expires.required = state.value === "accepted"; }
    var reason = form.querySelector("[name=reason]");
    if (reason) {
      reason.required = ["not_affected", "false_positive", "accepted"].indexOf(state.value) >= 0;
    }
  }
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.triage").forEach(function (form) {
    syncTriageForm(form);
    form.addEventListener("change", function () { syncTriageForm(form); });
  });
  // Filter selects apply at once; text fields on Enter or the button.
  document.querySelectorAll("form.filters select").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
});
