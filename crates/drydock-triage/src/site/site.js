(function () {
  "use strict";
  var table = document.querySelector("table.filterable");
  var form = document.querySelector("form.filter");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  function value(name) {
    var e = form ? form.elements.namedItem(name) : null;
    return e ? String(e.value).trim().toLowerCase() : "";
  }
  function apply() {
    var sev = value("sev"), state = value("state"), pkg = value("pkg"), q = value("q");
    var shown = 0;
    rows.forEach(function (r) {
      var d = r.dataset;
      var ok = (!sev || (d.sev || "").toLowerCase() === sev) &&
        (!state || d.state === state) &&
        (!pkg || (d.pkg || "").toLowerCase().indexOf(pkg) >= 0) &&
        (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    table.setAttribute("data-shown", String(shown));
    var out = form ? form.querySelector("output") : null;
    if (out) { out.textContent = shown + " of " + rows.length + " shown"; }
  }
  if (form) {
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var i = pair.indexOf("=");
      if (i < 1) { return; }
      try {
        var e = form.elements.namedItem(decodeURIComponent(pair.slice(0, i)));
        if (e) { e.value = decodeURIComponent(pair.slice(i + 1).replace(/\+/g, " ")); }
      } catch (err) { /* a malformed fragment filters nothing */ }
    });
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.hidden = false;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    if (!th.hasAttribute("data-sort")) { return; }
    th.tabIndex = 0;
    function sort() {
      var down = th.getAttribute("aria-sort") === "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      var key = function (r) {
        var c = r.cells[col];
        return c ? (c.getAttribute("data-v") || c.textContent.trim()) : "";
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
        var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return down ? -c : c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { sort(); } });
  });
  apply();
}());
