// fnmesh dashboard: follows /ui/stream (server-sent events) to update the
// page live, and drives the dead-letter selection and confirmations.
(function () {
  "use strict";
  var body = document.body;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function link(href, text) { var a = el("a", "", text); a.href = href; return a; }
  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
  function clock(s) {
    var d = new Date(s);
    if (isNaN(d)) return s;
    return d.getFullYear() + "-" + pad(d.getMonth() + 1, 2) + "-" + pad(d.getDate(), 2) + " " +
      pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
  }
  function short(s, n) { s = s || ""; return s.length > n ? s.slice(0, n) + "\u2026" : s; }
  // dur rounds a Go duration string as the server's pages do.
  function dur(s) {
    var m = /^(\d+(?:\.\d+)?)(ms|µs|s)$/.exec(s || "");
    if (!m) return s;
    var v = parseFloat(m[1]);
    var f = m[2] === "ms" ? v.toFixed(1) : m[2] === "s" ? v.toFixed(2) : v.toFixed(0);
    return f.replace(/\.0+$/, "") + m[2];
  }
  function outcomeClass(o) { return o === "ok" ? "ok" : o === "retry" ? "warn" : "bad"; }
  function pct(f) { return (f * 100).toFixed(1) + "%"; }
  function rate(f) { return f.toFixed(2) + "/s"; }

  // runRow builds a row of a runs table from a history record, with the
  // columns the table's header names.
  function runRow(table, r) {
    var tr = el("tr", "fresh");
    tr.setAttribute("data-seq", r.historySeq);
    tr.setAttribute("data-run", runKey(r));
    var heads = table.querySelectorAll("thead th");
    for (var i = 0; i < heads.length; i++) {
      var h = heads[i].textContent.trim().toLowerCase(), td = el("td");
      switch (h) {
        case "time": td.className = "mono nowrap"; td.textContent = clock(r.time); break;
        case "function": td.className = "nowrap"; td.appendChild(link("/ui/functions/" + encodeURIComponent(r.function), r.function)); break;
        case "event": td.className = "mono nowrap"; td.title = r.eventId || ""; if (r.eventId) td.appendChild(link("/ui/events/" + encodeURIComponent(r.eventId), short(r.eventId, 18))); break;
        case "type": td.textContent = r.type || ""; break;
        case "attempt": td.className = "num"; td.textContent = r.attempt; break;
        case "outcome": td.appendChild(el("span", "badge " + outcomeClass(r.outcome), r.outcome)); break;
        case "duration": td.className = "num mono"; td.textContent = dur(r.duration); break;
        case "replica": td.className = "mono small"; td.textContent = r.replica || ""; break;
        case "trace": td.className = "mono small"; td.textContent = short(r.traceId, 12); break;
        case "error": td.className = "err"; td.textContent = short(r.error, 120); break;
      }
      tr.appendChild(td);
    }
    return tr;
  }

  // runKey names one run: a history message holds several.
  function runKey(r) { return r.historySeq + "/" + r.function + "/" + (r.eventId || "") + "/" + r.attempt; }

  function addRun(r) {
    var tables = document.querySelectorAll("table[data-live-runs]");
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.closest("#failures") && r.outcome === "ok") continue;
      var tb = t.tBodies[0], none = tb.querySelector("tr.none");
      if (tb.querySelector('tr[data-run="' + CSS.escape(runKey(r)) + '"]')) continue; // already shown
      if (none) none.remove();
      tb.insertBefore(runRow(t, r), tb.firstChild);
      while (tb.rows.length > 50) tb.deleteRow(tb.rows.length - 1);
    }
    if (r.outcome === "deadletter") {
      var n = document.getElementById("new-dl");
      if (n) n.hidden = false;
    }
  }

  function setCell(row, k, text, cls) {
    var td = row.querySelector('[data-k="' + k + '"]');
    if (!td) return;
    td.textContent = "";
    if (cls !== undefined) td.appendChild(el("span", cls, text)); else td.textContent = text;
    td.classList.remove("muted");
  }

  function updateFunctions(fns) {
    var tot = { attempts: 0, ok: 0, rate: 0 };
    fns.forEach(function (f) {
      tot.attempts += f.recent.attempts; tot.ok += f.recent.ok; tot.rate += f.recent.perSecond;
      var row = document.querySelector('#functions tr[data-fn="' + CSS.escape(f.name) + '"]');
      if (!row) return;
      if (f.scale) {
        setCell(row, "backlog", f.scale.backlog);
        setCell(row, "replicas", f.scale.actual + " / " + f.scale.desired);
        setCell(row, "decision", f.scale.error || (f.scale.lastDecision && f.scale.lastDecision.reason) || "", f.scale.error ? "bad" : "");
      }
      setCell(row, "rate", rate(f.recent.perSecond));
      setCell(row, "attempts", f.recent.attempts);
      setCell(row, "errors", pct(f.recent.errorRate), f.recent.errorRate > 0 ? "bad" : "");
    });
    var set = function (id, v, bad) {
      var e = document.getElementById(id);
      if (e) { e.textContent = v; if (bad !== undefined) e.classList.toggle("bad", bad); }
    };
    var er = tot.attempts ? (tot.attempts - tot.ok) / tot.attempts : 0;
    set("t-attempts", tot.attempts); set("t-rate", rate(tot.rate)); set("t-errors", pct(er), er > 0);
  }

  function follow() {
    var q = body.getAttribute("data-stream");
    if (!q || !window.EventSource) return;
    var live = document.getElementById("live");
    var es = new EventSource("/ui/stream?" + q);
    es.addEventListener("open", function () { live.hidden = false; live.classList.remove("off"); live.querySelector(".label").textContent = "live"; });
    es.addEventListener("error", function () { live.hidden = false; live.classList.add("off"); live.querySelector(".label").textContent = "reconnecting"; });
    es.addEventListener("run", function (m) { try { addRun(JSON.parse(m.data)); } catch (e) { /* a record this page cannot show */ } });
    es.addEventListener("functions", function (m) { try { updateFunctions(JSON.parse(m.data)); } catch (e) { /* ignore */ } });
  }

  function deadLetters() {
    var all = document.getElementById("all");
    if (!all) return;
    var boxes = function () { return document.querySelectorAll('input[name="key"][form="selected"]'); };
    var sync = function () {
      var n = 0, b = boxes();
      for (var i = 0; i < b.length; i++) if (b[i].checked) n++;
      document.getElementById("redrive-selected").disabled = n === 0;
      document.getElementById("purge-selected").disabled = n === 0;
      all.checked = n > 0 && n === b.length;
    };
    all.addEventListener("change", function () {
      var b = boxes();
      for (var i = 0; i < b.length; i++) b[i].checked = all.checked;
      sync();
    });
    document.addEventListener("change", function (e) { if (e.target.name === "key") sync(); });
    var sel = document.getElementById("selected");
    document.getElementById("purge-selected").addEventListener("click", function (e) {
      if (!window.confirm(sel.getAttribute("data-confirm-purge"))) e.preventDefault();
    });
    sync();
  }

  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  follow();
  deadLetters();
})();
