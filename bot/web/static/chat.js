// Doorstep's web chat, made a little better with JavaScript: forms are sent without reloading
// the page (the server returns the new messages), and "use my location" asks the browser for
// its position (WGS-84). Without JavaScript every form still works as a plain form.
(function () {
  "use strict";
  var transcript = document.getElementById("transcript");
  if (!transcript || !window.fetch || !window.FormData) { return; }

  function send(form, extra) {
    var data = new FormData(form);
    if (extra) { Object.keys(extra).forEach(function (k) { data.set(k, extra[k]); }); }
    var body = new URLSearchParams();
    data.forEach(function (value, key) { body.append(key, value); });
    return fetch("/chat", {
      method: "POST",
      headers: { "X-Doorstep-Fragment": "1", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var first = null;
      while (holder.firstChild) {
        var node = holder.firstChild;
        if (!first && node.nodeType === 1) { first = node; }
        transcript.appendChild(node);
      }
      if (first && first.scrollIntoView) { first.scrollIntoView({ behavior: "smooth", block: "start" }); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.classList.contains("lang") || form.id === "locate") { return; }
    event.preventDefault();
    var extra = null;
    var pressed = event.submitter;
    if (pressed && pressed.name) { extra = {}; extra[pressed.name] = pressed.value; }
    var box = form.querySelector("textarea, input[name=place]");
    send(form, extra).then(function () { if (box) { box.value = ""; } });
  });

  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    var status = locate.querySelector(".status");
    var button = locate.querySelector("button");
    locate.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = button.getAttribute("data-waiting");
      navigator.geolocation.getCurrentPosition(function (position) {
        status.textContent = "";
        send(locate, { lat: String(position.coords.latitude), lon: String(position.coords.longitude) });
      }, function () {
        status.textContent = button.getAttribute("data-denied");
      }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
    });
  }
})();
