// Theme toggle: light / dark / system, remembered in localStorage. No external requests.
(function () {
  var KEY = "mlcollage-theme";
  var root = document.documentElement;
  function stored() { try { return localStorage.getItem(KEY) || "system"; } catch (e) { return "system"; } }
  function apply(mode) {
    if (mode === "system") { root.removeAttribute("data-theme"); } else { root.setAttribute("data-theme", mode); }
  }
  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector(".site-header nav ul");
    if (!list) { return; }
    var order = ["system", "light", "dark"];
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "theme-toggle";
    function label() {
      var mode = stored();
      button.textContent = "Theme: " + mode;
      button.setAttribute("aria-label", "Colour theme: " + mode + ". Activate to change.");
    }
    button.addEventListener("click", function () {
      var next = order[(order.indexOf(stored()) + 1) % order.length];
      try { localStorage.setItem(KEY, next); } catch (e) { /* file:// in some browsers */ }
      apply(next);
      label();
    });
    label();
    li.appendChild(button);
    list.appendChild(li);
  });
})();

// Copy buttons for BibTeX blocks.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.nextElementSibling;
      var text = source ? source.textContent : "";
      function done(message) { if (status) { status.textContent = message; } }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done("Copied."); },
          function () { done("Select the text and copy it."); });
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        done(document.execCommand && document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C.");
      }
    });
  });
});

// Search: MiniSearch (assets/vendor/) over the site's search files, loaded the first time the box
// is used. search/index.js lists one file per year; all are scripts, not fetch()ed JSON, so search
// also works on a site opened from disk. Nothing is requested from outside the site.
(function () {
  var PAGE = 8;  // results shown at first, and added by each 'show more'
  var form, input, list, status, root, hits = [], engine = null, docs = [], state = "idle", expected = 0, seen = 0;

  function load(src, onload) {
    var script = document.createElement("script");
    script.src = src;
    script.async = false;  // run in insertion order: documents keep the listing's order
    if (onload) { script.onload = onload; }
    script.onerror = function () { state = "failed"; say("Search is unavailable: " + src + " did not load."); };
    document.head.appendChild(script);
  }
  window.mlcollageSearch = {
    files: function (names) {
      expected = names.length;
      if (!expected) { ready(); }
      names.forEach(function (name) { load(root + "search/" + name); });
    },
    add: function (items) {
      docs = docs.concat(items);
      seen += 1;
      if (seen === expected) { ready(); }
    }
  };
  function start() {
    if (state !== "idle") { return; }
    state = "loading";
    say("Loading the search index…");
    load(root + "assets/vendor/minisearch.js", function () { load(root + "search/index.js"); });
  }
  function ready() {
    docs.forEach(function (d, i) { d.id = i; });
    engine = new MiniSearch({ fields: ["title", "authors", "tags", "text"], storeFields: [] });
    engine.addAll(docs);
    state = "ready";
    run();
  }
  function say(message) { status.textContent = message; }
  function query() { return input.value.trim(); }

  function run() {
    var q = query();
    if (!q) { list.textContent = ""; list.hidden = true; say(""); return; }
    if (state !== "ready") { return; }
    hits = engine.search(q, {
      combineWith: "AND",
      boost: { title: 3, tags: 2, authors: 2 },
      prefix: function (term, i, terms) { return i === terms.length - 1; },
      fuzzy: function (term) { return term.length > 4 ? 0.2 : false; }
    });
    show(PAGE);
    say(hits.length ? hits.length + (hits.length === 1 ? " result" : " results") + " for “" + q + "”"
                    : "No results for “" + q + "”");
  }
  function show(count) {
    list.textContent = "";
    hits.slice(0, count).forEach(function (hit) { list.appendChild(item(docs[hit.id], hit.terms)); });
    if (hits.length > count) {
      var li = document.createElement("li"), more = document.createElement("button");
      more.type = "button";
      more.className = "more-results";
      more.textContent = "Show " + Math.min(PAGE, hits.length - count) + " more of " + hits.length;
      more.addEventListener("click", function () {
        show(count + PAGE);
        var next = links()[count];
        if (next) { next.focus(); }
      });
      li.appendChild(more);
      list.appendChild(li);
    }
    list.hidden = hits.length === 0;
  }
  function item(doc, terms) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = root + doc.url + "index.html";
    a.textContent = doc.title;
    var where = document.createElement("span");
    where.className = "where";
    where.textContent = doc.where;
    var excerpt = document.createElement("p");
    excerpt.className = "excerpt";
    highlight(excerpt, snippet(doc.text, terms), terms);
    li.appendChild(a);
    li.appendChild(where);
    li.appendChild(excerpt);
    return li;
  }
  function pattern(terms) {
    var parts = terms.map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    return new RegExp("(" + parts.sort(function (a, b) { return b.length - a.length; }).join("|") + ")", "gi");
  }
  function snippet(text, terms) {
    var m = terms.length ? pattern(terms).exec(text) : null;
    var at = m ? m.index : 0, start = Math.max(0, at - 70);
    if (start > 0) { start = text.indexOf(" ", start) + 1 || start; }
    var end = Math.min(text.length, start + 200);
    if (end < text.length) { end = text.lastIndexOf(" ", end) > start ? text.lastIndexOf(" ", end) : end; }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }
  function highlight(node, text, terms) {
    if (!terms.length) { node.textContent = text; return; }
    text.split(pattern(terms)).forEach(function (part, i) {
      if (i % 2) {
        var mark = document.createElement("mark");
        mark.textContent = part;
        node.appendChild(mark);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }
  function links() { return Array.prototype.slice.call(list.querySelectorAll("a, button")); }
  function move(from, step) {
    var all = links(), i = all.indexOf(from) + step;
    if (i < 0) { input.focus(); } else if (i < all.length) { all[i].focus(); }
  }
  function close() { list.hidden = true; }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.querySelector("form.search[data-root]");
    if (!form) { return; }
    input = form.querySelector("input");
    list = form.querySelector(".search-results");
    status = form.querySelector("[aria-live]");
    root = form.getAttribute("data-root") || "";
    form.hidden = false;
    input.addEventListener("focus", start);
    input.addEventListener("input", function () { start(); run(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var first = list.querySelector("a");
      if (first) { location.href = first.href; }
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); input.focus(); }
      else if (event.key === "ArrowDown") { event.preventDefault(); move(document.activeElement, 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); move(document.activeElement, -1); }
    });
    document.addEventListener("click", function (event) {
      if (event.target.isConnected && !form.contains(event.target)) { close(); }  // "show more" replaced itself
    });
    input.addEventListener("click", function () { if (list.childElementCount) { list.hidden = false; } });
  });
})();
