// Doorstep console: small enhancements; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // "Copy answer": the text is always visible in its textarea; the button only saves a select-and-copy.
  var button = document.getElementById("copy-button");
  if (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById("copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.value;
      var done = function () { status.textContent = button.getAttribute("data-done"); };
      var fallback = function () {
        target.focus();
        target.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  }

  // Keyboard-first: "/" goes back to the search box from anywhere but a text field.
  var q = document.getElementById("q");
  if (q) {
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (event.key === "/" && tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT") {
        event.preventDefault();
        q.focus();
        q.select();
      }
    });
    // Changing a filter searches again at once (Enter in any box already does).
    ["kind", "town", "open_only"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.addEventListener("change", function () { el.form.submit(); }); }
    });
  }
});
