// The registration page (画面16). Only a help: the server enforces every rule again.
"use strict";
(function () {
  var messages = JSON.parse(document.getElementById("portal-messages").textContent);
  window.portalMessages = messages;
  var form = document.getElementById("register-form");
  var csrf = document.getElementById("csrf").value;
  var candidate = document.getElementById("mykey_id");
  var status = document.getElementById("candidate-status");
  var generateButton = document.getElementById("generate");
  var checkButton = document.getElementById("check");
  var count = document.getElementById("generate-count");
  var candidateRule = /^[A-Z0-9]{8}$/;
  var passwordRule = /^[A-Za-z0-9]{6,16}$/;
  var emailRule = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/;

  function show(id, text) {
    document.getElementById(id + "-error").textContent = text || "";
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json();
    });
  }

  function lock() {
    candidate.readOnly = true;
    generateButton.disabled = true;
    checkButton.disabled = true;
  }

  generateButton.addEventListener("click", function () {
    post("/portal/register/generate").then(function (answer) {
      show("mykey_id", "");
      if (answer.error) {
        status.textContent = answer.message;
        return;
      }
      candidate.value = answer.candidate;
      count.dataset.count = answer.count;
      count.textContent = messages.generated_n.replace("{n}", answer.count);
      status.textContent = answer.message;
      if (answer.final) {
        lock();
      }
    });
  });

  checkButton.addEventListener("click", function () {
    var value = candidate.value.trim();
    status.textContent = "";
    if (!value) {
      show("mykey_id", messages.candidate_required);
      return;
    }
    if (!candidateRule.test(value)) {
      show("mykey_id", messages.candidate_format);
      return;
    }
    show("mykey_id", "");
    post("/portal/register/check", { candidate: value }).then(function (answer) {
      if (answer.error) {
        show("mykey_id", answer.message);
        return;
      }
      if (answer.available) {
        status.textContent = answer.message;
      } else {
        show("mykey_id", answer.message);
      }
      if (answer.candidate) {
        candidate.value = answer.candidate;
      }
    });
  });

  form.addEventListener("submit", function (event) {
    var problems = {};
    var value = candidate.value.trim();
    if (!value) {
      problems.mykey_id = messages.candidate_required;
    } else if (!candidateRule.test(value)) {
      problems.mykey_id = messages.candidate_format;
    }
    var password = document.getElementById("password").value;
    var passwordConfirm = document.getElementById("password_confirm").value;
    if (!password) {
      problems.password = messages.password_required;
    } else if (!passwordRule.test(password)) {
      problems.password = messages.password_format;
    } else if (password !== passwordConfirm) {
      problems.password_confirm = messages.password_mismatch;
    }
    var email = document.getElementById("email").value.trim();
    var emailConfirm = document.getElementById("email_confirm").value.trim();
    var wantsNotices = Array.prototype.some.call(
      form.querySelectorAll("input[type=checkbox]"),
      function (box) { return box.checked; }
    );
    if (!email) {
      if (emailConfirm) {
        problems.email_confirm = messages.email_mismatch;
      } else if (wantsNotices) {
        problems.email = messages.email_needed;
      }
    } else if (!emailRule.test(email)) {
      problems.email = messages.email_format;
    } else if (email !== emailConfirm) {
      problems.email_confirm = messages.email_mismatch;
    }
    ["mykey_id", "password", "password_confirm", "email", "email_confirm"].forEach(function (id) {
      show(id, problems[id]);
    });
    if (Object.keys(problems).length) {
      event.preventDefault();
    }
  });
})();
