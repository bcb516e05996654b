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

// Search (Pagefind): the index is built with the site and fetched from it, never from elsewhere.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector(".search[data-root]");
  if (!box) { return; }
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    box.innerHTML = "";
    return;  // browsers block the index's fetches from file:// pages; serve the site to search
  }
  var base = new URL(box.getAttribute("data-root") || "./", location.href).pathname;
  new PagefindUI({ element: box, bundlePath: base + "pagefind/", baseUrl: base,
                   showSubResults: true, showImages: false, resetStyles: false });
  // give the search field a real <label> (Pagefind's UI only sets a title)
  var input = box.querySelector("input");
  if (input) {
    input.id = input.id || "site-search";
    var label = document.createElement("label");
    label.className = "visually-hidden";
    label.htmlFor = input.id;
    label.textContent = "Search the digests";
    box.insertBefore(label, box.firstChild);
  }
});
