// unipose-bench leaderboard site: sortable tables, the samples filter of a model page, the model-vs-model scatter
// of a task page, and a self-test (open any page with #selftest; the result lands in #selftest-result).
// Plain script, no library, no network: the page's data is the JSON in #page-data.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("page-data").textContent);
  var params = new URLSearchParams(location.search);

  // ---- sortable tables -------------------------------------------------------------------------------------
  // A th[data-key] sorts its table by the cells at index data-col (td[data-sort]: a number, or "" when missing).
  // Missing cells always go last; the first click sorts best first when the column says which way is better.
  function cellValue(row, col, type) {
    var cell = row.children[col];
    if (!cell) return null;
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    if (raw === "") return null;
    if (type === "num") { var v = parseFloat(raw); return isNaN(v) ? null : v; }
    return raw.toLowerCase();
  }

  function sortTable(th, dir) {
    var table = th.closest("table");
    var col = parseInt(th.getAttribute("data-col"), 10);
    var type = th.getAttribute("data-type") || "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { r.__order = i; });
    rows.sort(function (a, b) {
      var x = cellValue(a, col, type), y = cellValue(b, col, type);
      if (x === null && y === null) return a.__order - b.__order;
      if (x === null) return 1;
      if (y === null) return -1;
      if (x < y) return dir === "asc" ? -1 : 1;
      if (x > y) return dir === "asc" ? 1 : -1;
      return a.__order - b.__order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("th[data-key]").forEach(function (h) {
      h.removeAttribute("aria-sort");
      h.classList.remove("sorted-asc", "sorted-desc");
    });
    th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
    th.classList.add(dir === "asc" ? "sorted-asc" : "sorted-desc");
  }

  function firstDirection(th) {
    var better = th.getAttribute("data-better");
    if (better === "lower") return "asc";
    if (better === "higher") return "desc";
    return (th.getAttribute("data-type") || "num") === "text" ? "asc" : "desc";
  }

  document.querySelectorAll("table.sortable th[data-key]").forEach(function (th) {
    th.tabIndex = 0;
    th.title = (th.title ? th.title + " — " : "") + "click to sort";
    function activate() {
      var current = th.getAttribute("aria-sort");
      var dir = current ? (current === "ascending" ? "desc" : "asc") : firstDirection(th);
      sortTable(th, dir);
    }
    th.addEventListener("click", activate);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(); } });
  });

  // ?sort=KEY&dir=asc|desc sorts on load (a link can open a board sorted by any column)
  if (params.get("sort")) {
    var th = document.querySelector('th[data-key="' + CSS.escape(params.get("sort")) + '"]');
    if (th) sortTable(th, params.get("dir") === "asc" || params.get("dir") === "desc" ? params.get("dir") : firstDirection(th));
  }

  // ---- samples filter (model pages) ----------------------------------------------------------------------
  function ranked(metricKey, order) {
    var m = DATA.metrics.filter(function (x) { return x.key === metricKey; })[0];
    var values = DATA.values[metricKey];
    var idx = [];
    for (var i = 0; i < DATA.ids.length; i++) if (values[i] !== null) idx.push(i);
    var higherBetter = !(m && m.better === "lower");
    // worst first: highest first when lower is better, else lowest first (an undeclared direction counts as
    // higher is better); ties keep file order
    idx.sort(function (a, b) {
      var d = higherBetter ? values[a] - values[b] : values[b] - values[a];
      return d !== 0 ? d : a - b;
    });
    if (order === "best") idx.reverse();
    return idx.map(function (i) { return DATA.ids[i]; });
  }

  var filter = document.getElementById("sample-filter");
  function applyFilter() {
    var metric = document.getElementById("filter-metric").value;
    var order = document.getElementById("filter-order").value;
    var n = Math.max(1, Math.min(DATA.n, parseInt(document.getElementById("filter-count").value, 10) || DATA.n));
    var showAll = document.getElementById("filter-all-rows").checked;
    var chosen = ranked(metric, order).slice(0, n);
    var position = {};
    chosen.forEach(function (id, i) { position[id] = i; });
    var cards = document.getElementById("sample-cards");
    var byId = {};
    cards.querySelectorAll("article.sample").forEach(function (card) {
      byId[card.getAttribute("data-id")] = card;
      card.hidden = !(card.getAttribute("data-id") in position);
    });
    chosen.forEach(function (id) { if (byId[id]) cards.appendChild(byId[id]); });
    // the table follows: sorted by the same number, the chosen samples first
    var th = document.querySelector('#samples-table th[data-metric="' + CSS.escape(metric) + '"]');
    if (th) {
      var higherBetter = th.getAttribute("data-better") !== "lower";
      sortTable(th, (order === "worst") === higherBetter ? "asc" : "desc");
    }
    document.querySelectorAll("#samples-table tbody tr").forEach(function (tr) {
      var on = tr.getAttribute("data-id") in position;
      tr.classList.toggle("selected", on);
      tr.hidden = !showAll && !on;
    });
    var label = DATA.metrics.filter(function (x) { return x.key === metric; })[0];
    document.getElementById("filter-summary").textContent = "Showing the " + chosen.length + " " + order +
      " samples by " + metric + (label && label.better ? " (" + label.better + " is better)" : " (direction not declared: worst = lowest)") +
      " of " + DATA.ids.length + ".";
    return chosen;
  }
  if (filter) {
    if (params.get("metric")) document.getElementById("filter-metric").value = params.get("metric");
    if (params.get("order")) document.getElementById("filter-order").value = params.get("order");
    if (params.get("n")) document.getElementById("filter-count").value = params.get("n");
    filter.addEventListener("change", applyFilter);
    filter.addEventListener("input", applyFilter);
    applyFilter();
  }

  // ---- model-vs-model scatter (task pages) ----------------------------------------------------------------
  var SVGNS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function niceTicks(lo, hi) {
    if (hi <= lo) hi = lo + (Math.abs(lo) || 1);
    var raw = (hi - lo) / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * p; }).filter(function (s) { return s >= raw; })[0];
    var out = [];
    for (var v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    if (out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toPrecision(12));
    return out;
  }
  function fmt(v) { return String(+v.toPrecision(4)); }

  var scatter = document.getElementById("scatter");
  function drawScatter() {
    var a = document.getElementById("scatter-a").value, b = document.getElementById("scatter-b").value;
    var metric = document.getElementById("scatter-metric").value;
    var m = DATA.metrics.filter(function (x) { return x.key === metric; })[0];
    var ma = DATA.models.filter(function (x) { return x.key === a; })[0], mb = DATA.models.filter(function (x) { return x.key === b; })[0];
    var xa = (DATA.values[a] || {})[metric] || [], yb = (DATA.values[b] || {})[metric] || [];
    var pts = [];
    for (var i = 0; i < DATA.ids.length; i++) if (xa[i] != null && yb[i] != null) pts.push([xa[i], yb[i], DATA.ids[i]]);
    while (scatter.firstChild) scatter.removeChild(scatter.firstChild);
    var W = 420, H = 420, L = 56, B = 46, T = 12, R = 12;
    scatter.setAttribute("viewBox", "0 0 " + W + " " + H);
    var summary = document.getElementById("scatter-summary");
    if (!pts.length) { summary.textContent = "No sample has a value of " + metric + " for both models."; return pts; }
    var lo = Infinity, hi = -Infinity;
    pts.forEach(function (p) { lo = Math.min(lo, p[0], p[1]); hi = Math.max(hi, p[0], p[1]); });
    var ticks = niceTicks(lo, hi), t0 = ticks[0], t1 = ticks[ticks.length - 1], span = (t1 - t0) || 1;
    function X(v) { return L + (v - t0) / span * (W - L - R); }
    function Y(v) { return H - B - (v - t0) / span * (H - B - T); }
    ticks.forEach(function (t) {
      scatter.appendChild(el("line", {x1: X(t), x2: X(t), y1: T, y2: H - B, "class": "grid"}));
      scatter.appendChild(el("line", {x1: L, x2: W - R, y1: Y(t), y2: Y(t), "class": "grid"}));
      scatter.appendChild(el("text", {x: X(t), y: H - B + 14, "text-anchor": "middle", "class": "tick"}, fmt(t)));
      scatter.appendChild(el("text", {x: L - 6, y: Y(t) + 4, "text-anchor": "end", "class": "tick"}, fmt(t)));
    });
    scatter.appendChild(el("line", {x1: X(t0), y1: Y(t0), x2: X(t1), y2: Y(t1), "class": "diagonal"}));
    scatter.appendChild(el("text", {x: L + (W - L - R) / 2, y: H - 8, "text-anchor": "middle", "class": "axis-label"}, ma.label + " — " + metric));
    scatter.appendChild(el("text", {x: 14, y: T + (H - B - T) / 2, "text-anchor": "middle", "class": "axis-label",
      transform: "rotate(-90 14 " + (T + (H - B - T) / 2) + ")"}, mb.label + " — " + metric));
    var lowerBetter = m && m.better === "lower", counts = {a: 0, b: 0, tie: 0};
    pts.forEach(function (p) {
      var who = p[0] === p[1] ? "tie" : ((p[1] < p[0]) === lowerBetter ? "b" : "a");
      if (!m || !m.better) who = p[0] === p[1] ? "tie" : "unknown";
      counts[who] = (counts[who] || 0) + 1;
      var target = ma.drawn.indexOf(p[2]) >= 0 ? ma.page : mb.drawn.indexOf(p[2]) >= 0 ? mb.page : null;
      var dot = el("circle", {cx: X(p[0]), cy: Y(p[1]), r: 3.2, "class": "pt " + who, "data-id": p[2]});
      dot.appendChild(el("title", {}, p[2] + ": " + ma.label + " " + fmt(p[0]) + ", " + mb.label + " " + fmt(p[1])));
      if (target) {
        var a2 = el("a", {href: target + "#s-" + p[2]});
        a2.appendChild(dot);
        scatter.appendChild(a2);
      } else scatter.appendChild(dot);
    });
    summary.textContent = pts.length + " samples. " + (m && m.better ?
      ma.label + " better on " + counts.a + ", " + mb.label + " better on " + counts.b + ", equal on " + counts.tie +
      " (" + m.better + " is better; below the diagonal = " + (lowerBetter ? mb.label : ma.label) + " better)."
      : "Direction of " + metric + " not declared.");
    return pts;
  }
  if (scatter) {
    ["scatter-a", "scatter-b", "scatter-metric"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", drawScatter);
    });
    drawScatter();
  }

  // ---- self-test: #selftest runs the page's behaviour and writes PASS/FAIL lines into #selftest-result -------
  function selfTest() {
    var failures = [], checks = 0;
    function check(ok, what) { checks++; if (!ok) failures.push(what); }
    document.querySelectorAll("table.sortable th[data-key]").forEach(function (th) {
      var col = parseInt(th.getAttribute("data-col"), 10), type = th.getAttribute("data-type") || "num";
      var body = th.closest("table").tBodies[0];
      ["asc", "desc"].forEach(function (dir) {
        sortTable(th, dir);
        var seen = Array.prototype.map.call(body.rows, function (r) { return cellValue(r, col, type); });
        var present = seen.filter(function (v) { return v !== null; });
        var firstMissing = seen.indexOf(null);
        check(firstMissing === -1 || seen.slice(firstMissing).every(function (v) { return v === null; }),
              th.getAttribute("data-key") + " " + dir + ": missing cells not last");
        var ordered = present.every(function (v, i) { return i === 0 || (dir === "asc" ? present[i - 1] <= v : present[i - 1] >= v); });
        check(ordered, th.getAttribute("data-key") + " " + dir + ": not sorted");
      });
    });
    if (filter) {
      DATA.metrics.forEach(function (m) {
        ["worst", "best"].forEach(function (order) {
          document.getElementById("filter-metric").value = m.key;
          document.getElementById("filter-order").value = order;
          document.getElementById("filter-count").value = String(DATA.n);
          var chosen = applyFilter();
          var visible = Array.prototype.filter.call(document.querySelectorAll("#sample-cards article.sample"),
            function (c) { return !c.hidden; }).map(function (c) { return c.getAttribute("data-id"); });
          check(JSON.stringify(visible) === JSON.stringify(chosen), m.key + " " + order + ": cards " + visible.join(",") + " != " + chosen.join(","));
          var values = chosen.map(function (id) { return DATA.values[m.key][DATA.ids.indexOf(id)]; });
          var worstFirst = order === "worst";
          var mono = values.every(function (v, i) {
            if (i === 0) return true;
            var prev = values[i - 1];
            return (m.better !== "lower") === worstFirst ? prev <= v : prev >= v;
          });
          check(mono, m.key + " " + order + ": not ranked");
        });
      });
    }
    if (scatter) {
      var pts = drawScatter();
      check(scatter.querySelectorAll("circle.pt").length === pts.length, "scatter: one dot per sample");
    }
    var out = document.getElementById("selftest-result");
    out.hidden = false;
    out.setAttribute("data-status", failures.length ? "fail" : "pass");
    out.setAttribute("data-checks", String(checks));
    out.textContent = (failures.length ? "FAIL " : "PASS ") + checks + " checks" + (failures.length ? ": " + failures.join("; ") : "");
  }
  if (location.hash === "#selftest") selfTest();
})();
