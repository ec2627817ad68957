// Confirmation fields ([data-no-paste]) must be typed: pasting and dropping are blocked.
"use strict";
(function () {
  function block(event) {
    event.preventDefault();
    var field = event.target;
    var note = document.getElementById(field.id + "-error");
    if (note && window.portalMessages) {
      note.textContent = window.portalMessages.paste_blocked;
    }
  }
  document.querySelectorAll("[data-no-paste]").forEach(function (field) {
    field.addEventListener("paste", block);
    field.addEventListener("drop", block);
  });
})();
