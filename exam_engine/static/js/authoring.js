// Authoring editor: lint findings as you type, and a key proposal when the sub-domain changes.
// The pages work without this file: "Check and preview" and "Propose key" post the form.
(function () {
  "use strict";

  // Retiring takes a question out of new exams: ask first.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.dataset.confirm)) { event.preventDefault(); }
    });
  });

  var form = document.getElementById("editor-form");
  if (!form) { return; }

  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var box = document.getElementById("live-findings");
  var note = document.getElementById("live-status");
  var announce = document.getElementById("live-announce");
  var timer = null;
  var latest = 0;
  var lastSummary = "";

  if (note) { note.hidden = false; }
  var placeholder = document.getElementById("findings-placeholder");
  if (placeholder) { placeholder.textContent = "Start writing: the checks run as you type."; }

  function values() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "action") { data[name] = String(value); }
    });
    if (form.dataset.editing) { data.editing = form.dataset.editing; }
    return data;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Built with textContent only: authored text never becomes markup here.
  function entry(cls, levelText, label, message, rule) {
    var li = el("li", "finding " + cls);
    li.appendChild(el("span", "finding-level", levelText));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "finding-field", label));
    li.appendChild(document.createTextNode(": " + message));
    if (rule) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "finding-rule", "[" + rule + "]"));
    }
    return li;
  }

  function render(result) {
    box.textContent = "";
    var list = el("ul", "finding-list");
    var summary;
    if (result.problems.length) {
      summary = el("p", "findings-summary bad",
        result.problems.length + " problem(s) to fix before the style checks can run:");
      result.problems.forEach(function (p) {
        list.appendChild(entry("finding-error", "Invalid", p.label, p.message, ""));
      });
    } else if (result.findings.length) {
      summary = el("p", "findings-summary " + (result.summary.errors ? "bad" : "warn"),
        result.summary.errors + " error(s), " + result.summary.warnings + " warning(s).");
      result.findings.forEach(function (f) {
        var level = f.level.charAt(0).toUpperCase() + f.level.slice(1);
        list.appendChild(entry("finding-" + f.level, level, f.label, f.message, f.rule));
      });
    } else {
      summary = el("p", "findings-summary ok", "No problems: the item passes every lint rule.");
    }
    box.appendChild(summary);
    if (list.childNodes.length) { box.appendChild(list); }
    // Announce only a change of the totals, not every keystroke's list.
    if (announce && summary.textContent !== lastSummary) {
      lastSummary = summary.textContent;
      announce.textContent = "Checks: " + lastSummary;
    }
  }

  function check() {
    var mine = ++latest;
    box.classList.add("is-busy");
    fetch(form.dataset.lintUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(values())
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (result) {
      if (mine === latest) { render(result); if (note) { note.textContent = "Checked as you type."; } }
    }).catch(function () {
      if (mine === latest && note) { note.textContent = "Live checks are unavailable: use Check and preview."; }
    }).then(function () {
      if (mine === latest) { box.classList.remove("is-busy"); }
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);

  // Highlight the option block of the chosen key.
  form.addEventListener("change", function (event) {
    if (event.target.name !== "answer") { return; }
    Array.prototype.forEach.call(form.querySelectorAll(".option-block"), function (block) {
      var radio = block.querySelector('input[name="answer"]');
      block.classList.toggle("is-key", !!(radio && radio.checked));
    });
  });

  // New questions: follow the sub-domain with the next free key, unless the author typed one.
  var sub = document.getElementById("subdomain");
  var key = document.getElementById("key");
  if (sub && key && !form.dataset.editing) {
    var proposed = key.value;
    sub.addEventListener("change", function () {
      if (key.value !== "" && key.value !== proposed) { return; }
      var url = form.dataset.nextKeyUrl + "?subdomain=" + encodeURIComponent(sub.value);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (result) {
          if (result && result.key) { key.value = result.key; proposed = result.key; later(); }
        })
        .catch(function () { /* the Propose key button still works */ });
    });
  }
})();
