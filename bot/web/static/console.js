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

  // The record form: opening hours checked as they are typed (the server checks again on save).
  var hours = document.getElementById("f-hours");
  var out = document.getElementById("hours-check");
  if (hours && out) {
    var holidays = document.getElementById("f-holidays");
    var timer = null;
    var show = function (data) {
      out.textContent = "";
      var p = document.createElement("p");
      if (data.ok && data.preview) {
        p.className = "preview";
        p.textContent = data.preview;
      } else if (!data.ok) {
        p.className = "field-error";
        p.textContent = data.problem;
      }
      if (p.textContent) { out.appendChild(p); }
      hours.setAttribute("aria-invalid", data.ok ? "false" : "true");
    };
    var check = function () {
      var url = hours.getAttribute("data-check-url") + "?spec=" + encodeURIComponent(hours.value) +
        "&holidays=" + encodeURIComponent(holidays ? holidays.value : "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { show(data); } })
        .catch(function () { /* the save checks again */ });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(check, 250); };
    hours.addEventListener("input", later);
    if (holidays) { holidays.addEventListener("change", later); }
  }

  // A position pasted from a map's coordinate picker marks the door, unless staff say otherwise.
  var position = document.getElementById("f-position");
  var precision = document.getElementById("f-precision");
  if (position && precision) {
    position.addEventListener("input", function () { precision.value = "exact"; });
  }

  // Leads: put an unconfirmed value into the form (staff still check it and tick "verified").
  var fields = { name: "f-name", address: "f-address", phone: "f-phone", opening_hours: "f-hours" };
  Array.prototype.forEach.call(document.querySelectorAll(".lead-use"), function (b) {
    var input = document.getElementById(fields[b.getAttribute("data-field")]);
    if (!input) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      input.value = b.getAttribute("data-value");
      input.dispatchEvent(new Event("input"));
      input.focus();
    });
  });
});
