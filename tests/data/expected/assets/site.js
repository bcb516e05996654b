// Interface strings: the page's language's translations (a JSON block the build writes into
// pages not in English); a message without one is shown as written. t(message, values) and
// tn(one, other, n, values) called with string literals are the only ways this script shows
// text: the build and the catalog test find the messages by those calls.
var mlcollageI18n = (function () {
  var messages = {};
  try {
    var el = document.getElementById("mlcollage-messages");
    if (el) { messages = JSON.parse(el.textContent); }
  } catch (e) { messages = {}; }
  var lang = document.documentElement.lang || "en";
  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function t(message, values) {
    var text = typeof messages[message] === "string" ? messages[message] : message;
    return values ? fill(text, values) : text;
  }
  function tn(one, other, n, values) {
    var forms = messages[one], text;
    if (forms && typeof forms === "object") {
      var rule = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang).select(n) : "other";
      text = forms[rule] || forms.other;
    } else {
      text = n === 1 ? one : other;
    }
    var all = { num: n };
    for (var k in values || {}) { all[k] = values[k]; }
    return fill(text, all);
  }
  return { t: t, tn: tn, lang: lang };
})();

// Theme toggle: light / dark / system, remembered in localStorage. No external requests.
(function () {
  var t = mlcollageI18n.t;
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
    var names = { system: t("system"), light: t("light"), dark: t("dark") };
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "theme-toggle";
    function label() {
      var mode = stored();
      button.textContent = t("Theme: %(mode)s", { mode: names[mode] || mode });
      button.setAttribute("aria-label", t("Colour theme: %(mode)s. Activate to change.", { mode: names[mode] || mode }));
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
  var t = mlcollageI18n.t;
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.nextElementSibling;
      var text = source ? source.textContent : "";
      function done(message) { if (status) { status.textContent = message; } }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(t("Copied.")); },
          function () { done(t("Select the text and copy it.")); });
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        done(document.execCommand && document.execCommand("copy") ? t("Copied.") : t("Selected: press Ctrl+C."));
      }
    });
  });
});

// Search: MiniSearch (assets/vendor/) over the site's search files, loaded the first time the box
// is used. search/index.js lists one file per year; all are scripts, not fetch()ed JSON, so search
// also works on a site opened from disk. Nothing is requested from outside the site.
(function () {
  var t = mlcollageI18n.t, tn = mlcollageI18n.tn;
  var PAGE = 8;  // results shown at first, and added by each 'show more'
  var form, input, list, status, root, assets, hits = [], engine = null, docs = [], state = "idle", expected = 0, seen = 0;

  function load(src, onload) {
    var script = document.createElement("script");
    script.src = src;
    script.async = false;  // run in insertion order: documents keep the listing's order
    if (onload) { script.onload = onload; }
    script.onerror = function () { state = "failed"; say(t("Search is unavailable: %(file)s did not load.", { file: src })); };
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
    say(t("Loading the search index…"));
    load(assets + "assets/vendor/minisearch.js", function () { load(root + "search/index.js"); });
  }
  function ready() {
    docs.forEach(function (d, i) { d.id = i; });
    engine = new MiniSearch({ fields: ["title", "authors", "tags", "text"], storeFields: [],
                              tokenize: words, searchOptions: { tokenize: queryWords } });
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
    queried = cjkWords(q);
    hits = engine.search(q, {
      combineWith: "AND",
      boost: { title: 3, tags: 2, authors: 2 },
      prefix: function (term, i, terms) { return i === terms.length - 1; },
      fuzzy: function (term) { return term.length > 4 ? 0.2 : false; }
    });
    show(PAGE);
    say(hits.length ? tn("%(num)d result for “%(query)s”", "%(num)d results for “%(query)s”", hits.length, { query: q })
                    : t("No results for “%(query)s”", { query: q }));
  }
  function show(count) {
    list.textContent = "";
    hits.slice(0, count).forEach(function (hit) { list.appendChild(item(docs[hit.id], hit.terms)); });
    if (hits.length > count) {
      var li = document.createElement("li"), more = document.createElement("button");
      more.type = "button";
      more.className = "more-results";
      more.textContent = t("Show %(n)s more of %(total)s", { n: Math.min(PAGE, hits.length - count), total: hits.length });
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
    // the CJK query words the text has whole are what is marked (not each pair's other matches)
    var whole = queried.filter(function (w) { return doc.text.indexOf(w) >= 0; });
    var marks = whole.length ? whole.concat(terms.filter(function (w) { return !CJK_CHAR.test(w); }))
                             : queried.concat(terms);
    highlight(excerpt, snippet(doc.text, whole.length ? whole : marks), marks);
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
    var space = text.indexOf(" ", start);  // start and end at a space when one is near (CJK has few)
    if (start > 0 && space >= 0 && space < Math.min(at, start + 20)) { start = space + 1; }
    var end = Math.min(text.length, start + 200);
    var last = text.lastIndexOf(" ", end);
    if (end < text.length && last > Math.max(start, end - 20)) { end = last; }
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
  // Words. MiniSearch splits on spaces and punctuation, which finds nothing inside a Chinese or
  // Japanese sentence. Runs of CJK characters are split into words by the browser's own
  // Intl.Segmenter (no dictionary to download) and, since one text can be segmented differently
  // from a query, also indexed as overlapping character pairs; a query's CJK run is searched as
  // its pairs (all of them, AND), so a word is found wherever the sentence has it, and only there.
  var SPACE = /[\n\r\p{Z}\p{P}]+/u;
  var CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/g;
  var CJK_CHAR = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(mlcollageI18n.lang, { granularity: "word" }) : null;
  var queried = [];
  function segments(run) {
    var out = [];
    if (!segmenter) { return out; }
    var it = segmenter.segment(run)[Symbol.iterator](), s;
    while (!(s = it.next()).done) { if (s.value.isWordLike) { out.push(s.value.segment); } }
    return out;
  }
  function pairs(run) {
    var out = [];
    for (var i = 0; i + 1 < run.length; i++) { out.push(run.slice(i, i + 2)); }
    return run.length === 1 ? [run] : out;
  }
  function split(text, cjk) {
    var out = [];
    text.split(SPACE).forEach(function (part) {
      if (!part) { return; }
      var rest = part.replace(CJK_RUN, " ").trim();
      if (rest) { out = out.concat(rest.split(" ")); }
      (part.match(CJK_RUN) || []).forEach(function (run) { out = out.concat(cjk(run)); });
    });
    return out;
  }
  function words(text) {
    return split(text, function (run) { return segments(run).concat(pairs(run)); });
  }
  function queryWords(text) {
    return split(text, pairs);
  }
  function cjkWords(text) {
    return split(text, function (run) { return [run]; }).filter(function (w) { return CJK_CHAR.test(w); });
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
    assets = form.getAttribute("data-assets") || root;
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
