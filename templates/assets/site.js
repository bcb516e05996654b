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
