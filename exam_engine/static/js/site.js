// Every page: the phone menu, and telling the server the browser's time zone once.
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
  var detect = document.body.getAttribute("data-detect-zone");
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (detect && zone) {
    var token = document.querySelector('meta[name="csrf-token"]').content;
    var body = new URLSearchParams({ time_zone: zone, csrf_token: token });
    fetch(detect, { method: "POST", body: body, credentials: "same-origin" });
  }
})();
