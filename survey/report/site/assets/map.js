// toolmap: the interactive map of a study. It reads window.toolmapData
// (assets/data.js), which holds only the numbers the page may show: a
// count not shown is null, and nothing else about it is there. Every text
// goes in with textContent; the page asks for nothing outside its folder.
(function () {
  "use strict";
  var D = window.toolmapData;
  if (!D || !D.views) { return; }
  var lang = document.documentElement.lang;
  var UI = D.ui[lang] || D.ui[D.defaultLang];
  var RAMP = [[255, 255, 217], [237, 248, 177], [199, 233, 180], [127, 205, 187], [65, 182, 196], [44, 156, 196]];
  var FIG = { groups: 0, hardest: 1, hardBase: 2, none: 3, paper: 4, typed: 5, cells: 6 };
  var state = { view: 0, all: false, cell: null };

  function t(key, pairs) {
    var s = UI[key] || "";
    for (var k in pairs) { s = s.split("{" + k + "}").join(String(pairs[k])); }
    return s;
  }
  function label(l) { return l[lang] || l[D.defaultLang] || ""; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  // percent is the share rounded half up, as the digest computes it.
  function percent(n, of) { return Math.floor((200 * n + of) / (2 * of)); }
  function pct(n) { return t("percent", { n: n }); }
  // shade is the colour of a share, by its square root, as the digest's
  // chart draws it.
  function shade(share) {
    var x = Math.sqrt((Math.max(1, Math.min(share, 100)) - 1) / 99) * (RAMP.length - 1);
    var i = Math.min(Math.floor(x), RAMP.length - 2), f = x - i, c = [];
    for (var k = 0; k < 3; k++) { c.push(Math.round(RAMP[i][k] + f * (RAMP[i + 1][k] - RAMP[i][k]))); }
    return "rgb(" + c.join(",") + ")";
  }
  function rowLabel(i) { return label(D.rows[i].label) + (D.rows[i].typed ? " ✎" : ""); }
  function colLabel(j) { return label(D.cols[j].label) + (D.cols[j].typed ? " ✎" : ""); }
  function columns() {
    var n = state.all ? D.cols.length : Math.min(D.perPage, D.cols.length), out = [];
    for (var j = 0; j < n; j++) { out.push(j); }
    return out;
  }
  function viewName(v) { return label(D.views[v].label); }
  function groups(n) { return n === null ? t("hidden") : t("n_groups", { n: n }); }

  // cellText says what a cell of row i, column j, in view v shows.
  function cellInfo(v, i, j) {
    var row = D.views[v].rows[i], n = row[FIG.cells + j], of = row[FIG.groups];
    var names = { tool: colLabel(j), activity: rowLabel(i), min: D.min };
    if (n === null || of === null) { return { kind: "hid", text: t("cell_hidden", names), mark: "–" }; }
    if (n === 0) { return { kind: "zero", text: t("cell_none", names), mark: "" }; }
    var s = percent(n, of);
    names.share = pct(s); names.of = of; names.n = n;
    return { kind: "shown", text: t("cell", names), mark: pct(s), share: s, n: n };
  }

  function renderSelect() {
    var sel = document.getElementById("view");
    var all = el("option", "", viewName(0) + (D.views[0].n !== null ? " (" + t("n_groups", { n: D.views[0].n }) + ")" : ""));
    all.value = "0";
    sel.appendChild(all);
    D.filters.forEach(function (f) {
      var g = document.createElement("optgroup");
      g.label = label(f.label);
      f.views.forEach(function (v) {
        var w = D.views[v], o = el("option");
        var count = w.n !== null ? " (" + t("n_groups", { n: w.n }) + ")" : w.small ? " (" + t("few_groups", { min: D.min }) + ")" : "";
        o.textContent = viewName(v) + count;
        o.value = String(v);
        if (w.small || w.n === 0) { o.disabled = true; }
        g.appendChild(o);
      });
      sel.appendChild(g);
    });
    sel.addEventListener("change", function () { state.view = Number(sel.value); state.cell = null; render(); });
    var box = document.getElementById("all-tools");
    document.getElementById("all-tools-label").textContent = t("all_tools", { n: D.cols.length });
    if (D.cols.length <= D.perPage) { box.parentNode.hidden = true; }
    box.addEventListener("change", function () { state.all = box.checked; render(); });
    document.getElementById("controls").hidden = false;
    document.getElementById("legend").hidden = false;
  }

  function show(info, button) {
    var detail = document.getElementById("detail");
    detail.textContent = info.text;
    var on = document.querySelectorAll("#map button.on");
    for (var k = 0; k < on.length; k++) { on[k].classList.remove("on"); }
    if (button) { button.classList.add("on"); }
  }

  function renderMap() {
    var v = state.view, map = document.getElementById("map"), cols = columns();
    map.textContent = "";
    var head = el("thead"), tr = el("tr");
    tr.appendChild(el("th"));
    cols.forEach(function (j) {
      var th = el("th");
      th.scope = "col";
      th.appendChild(el("span", "", colLabel(j)));
      tr.appendChild(th);
    });
    head.appendChild(tr);
    map.appendChild(head);
    var body = el("tbody");
    D.rows.forEach(function (r, i) {
      var row = D.views[v].rows[i], tr = el("tr"), th = el("th");
      th.scope = "row";
      th.appendChild(document.createTextNode(rowLabel(i)));
      th.appendChild(el("small", "", groups(row[FIG.groups])));
      tr.appendChild(th);
      cols.forEach(function (j) {
        var info = cellInfo(v, i, j), td = el("td"), b = el("button", info.kind === "shown" ? "" : info.kind, info.mark);
        b.type = "button";
        b.setAttribute("aria-label", info.text);
        b.title = info.text;
        b.dataset.row = r.id;
        b.dataset.col = D.cols[j].id;
        if (info.kind === "shown") {
          b.dataset.n = String(info.n);
          b.dataset.share = String(info.share);
          b.style.background = shade(info.share);
        } else if (info.kind === "zero") {
          b.dataset.n = "0";
        }
        var pick = function () { state.cell = [i, j]; show(info, b); };
        b.addEventListener("click", pick);
        b.addEventListener("focus", pick);
        b.addEventListener("mouseenter", function () { show(info, b); });
        td.appendChild(b);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    map.appendChild(body);
    map.hidden = false;
    var note = document.getElementById("view-note"), w = D.views[v];
    note.hidden = !(w.small || w.n === 0);
    note.textContent = note.hidden ? "" : t("view_hidden");
    if (!state.cell) { document.getElementById("detail").textContent = ""; }
  }

  function cellText(n, of) {
    if (n === null) { return t("hidden"); }
    if (n === 0) { return "0"; }
    if (of === null || of === 0) { return t("hidden"); }
    return t("cell_text", { share: pct(percent(n, of)), n: n });
  }

  function renderTables() {
    var v = state.view;
    document.getElementById("table-view").textContent = viewName(v);
    var body = document.querySelector("#table tbody");
    body.textContent = "";
    D.rows.forEach(function (r, i) {
      var row = D.views[v].rows[i], tr = el("tr"), th = el("th", "", rowLabel(i));
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(el("td", "", row[FIG.groups] === null ? t("hidden") : String(row[FIG.groups])));
      D.cols.forEach(function (c, j) { tr.appendChild(el("td", "", cellText(row[FIG.cells + j], row[FIG.groups]))); });
      body.appendChild(tr);
    });
    var gaps = document.querySelector("#gaps tbody");
    gaps.textContent = "";
    D.rows.forEach(function (r, i) {
      var row = D.views[v].rows[i], tr = el("tr"), th = el("th", "", rowLabel(i));
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(el("td", "", row[FIG.groups] === null ? t("hidden") : String(row[FIG.groups])));
      D.gaps.forEach(function (g) {
        var n = row[FIG[g]], of = g === "hardest" ? row[FIG.hardBase] : row[FIG.groups];
        tr.appendChild(el("td", "", cellText(n, of)));
      });
      gaps.appendChild(tr);
    });
  }

  function render() {
    renderMap();
    renderTables();
    if (state.cell) {
      var i = state.cell[0], j = state.cell[1];
      if (columns().indexOf(j) >= 0) { show(cellInfo(state.view, i, j)); }
    }
  }

  renderSelect();
  render();
})();
