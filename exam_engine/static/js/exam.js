// Exam page behaviour: server-synced countdown, autosave with retry, keyboard, auto-submit.
// The page works without this file: every form posts to the server.
(function () {
  "use strict";

  var root = document.getElementById("exam");
  if (!root) { return; }

  var attemptId = root.dataset.attempt;
  var position = parseInt(root.dataset.position || "0", 10);
  var total = parseInt(root.dataset.total || "0", 10);
  var mode = root.dataset.mode;
  var seq = parseInt(root.dataset.seq || "0", 10);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var statusEl = document.getElementById("save-status");
  var form = document.getElementById("answer-form");
  var storeKey = "exam-pending-" + attemptId;
  var inFlight = null;
  var retryTimer = null;
  var retryDelay = 1000;
  var finished = false;
  var internalNavigation = false;

  // ---- pending saves survive a reload (localStorage) until the server accepts them ----
  function loadPending() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function storePending(pending) {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }
  var pending = loadPending();

  function setStatus(text, isError) {
    if (!statusEl) { return; }
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(date) { return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds()); }

  // ---- countdown: the server's remaining seconds, re-synced on every save ----
  var timerEl = document.getElementById("timer");
  var announceEl = document.getElementById("timer-announce");
  var deadlineMs = null;
  var announced = {};
  var THRESHOLDS = [30, 10, 5, 1];

  function syncRemaining(seconds) {
    if (seconds === null || seconds === undefined || !timerEl) { return; }
    deadlineMs = performance.now() + seconds * 1000;
  }

  // A warning stays on screen, from page to page, until dismissed or replaced by the next one.
  var warnKey = "exam-warning-" + attemptId;
  function storeWarning(value) {
    try { localStorage.setItem(warnKey, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function storedWarning() {
    try { return JSON.parse(localStorage.getItem(warnKey) || "null"); } catch (e) { return null; }
  }
  function showWarning(minutes) {
    if (!announceEl) { return; }
    storeWarning({ minutes: minutes, dismissed: false });
    announceEl.textContent = "";
    var box = document.createElement("p");
    box.className = "time-warning";
    var text = document.createElement("span");
    text.textContent = minutes + (minutes === 1 ? " minute" : " minutes") + " left.";
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button small";
    dismiss.textContent = "Dismiss";
    dismiss.addEventListener("click", function () {
      announceEl.textContent = "";
      storeWarning({ minutes: minutes, dismissed: true });
    });
    box.appendChild(text);
    box.appendChild(dismiss);
    announceEl.appendChild(box);
  }

  function renderTimer() {
    if (deadlineMs === null) { return; }
    var left = Math.max(0, Math.round((deadlineMs - performance.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    timerEl.textContent = h + ":" + two(m) + ":" + two(s);
    timerEl.classList.toggle("low", left <= 300);
    // A jump past several marks (a re-sync, a sleeping laptop) shows only the latest.
    var latest = null;
    THRESHOLDS.forEach(function (minutes) {
      if (!announced[minutes] && left <= minutes * 60) { announced[minutes] = true; latest = minutes; }
    });
    if (latest !== null) { showWarning(latest); }
    if (left === 0 && !finished) { autoSubmit(); }
  }

  if (timerEl) {
    var initial = parseInt(timerEl.dataset.remaining, 10);
    deadlineMs = performance.now() + initial * 1000;
    var passed = null;
    THRESHOLDS.forEach(function (m) { if (initial <= m * 60) { announced[m] = true; passed = m; } });
    // The warning of the last mark passed is still up if it was not dismissed on another page.
    var kept = storedWarning();
    if (passed !== null && kept && kept.minutes === passed && !kept.dismissed) { showWarning(passed); }
    setInterval(renderTimer, 1000);
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    });
  }

  function autoSubmit() {
    finished = true;
    setStatus("Time is up. Submitting your saved answers...");
    flush().then(function () {
      return api("POST", "/api/v1/attempts/" + attemptId + "/submit");
    }).then(function () {
      window.location.assign(root.dataset.resultUrl);
    }, function () {
      window.location.assign(root.dataset.resultUrl);
    });
  }

  // ---- autosave ----
  function markNavigator(pos, choice, flagged) {
    var cell = document.querySelector('.nav-cell[data-position="' + pos + '"]');
    if (!cell) { return; }
    cell.classList.toggle("answered", !!choice);
    cell.classList.toggle("unanswered", !choice);
    cell.classList.toggle("flagged", !!flagged);
    cell.setAttribute("aria-label", "Question " + pos + ", " + (choice ? "answered" : "unanswered") + (flagged ? ", flagged" : "") + (cell.classList.contains("current") ? ", current" : ""));
  }

  function queue(pos, choice, flagged) {
    seq += 1;
    pending[pos] = { choice: choice, flagged: flagged, seq: seq, struck: struckList() };
    storePending(pending);
    markNavigator(pos, choice, flagged);
    return flush();
  }

  function sendOne(pos) {
    var entry = pending[pos];
    return api("PUT", "/api/v1/attempts/" + attemptId + "/responses/" + pos, entry).then(function (res) {
      return res.json().then(function (data) { return { res: res, data: data }; }, function () { return { res: res, data: {} }; });
    }).then(function (r) {
      if (r.res.status === 409) {
        delete pending[pos];
        storePending(pending);
        finished = true;
        setStatus(r.data.error || "This exam is finished.", true);
        setTimeout(function () { window.location.assign(root.dataset.resultUrl); }, 2500);
        throw new Error("finished");
      }
      if (!r.res.ok) { throw new Error(r.data.error || ("HTTP " + r.res.status)); }
      seq = Math.max(seq, r.data.attempt_seq || 0);
      syncRemaining(r.data.remaining_seconds);
      var current = pending[pos];
      var sameIntent = current && current.choice === r.data.choice && current.flagged === r.data.flagged &&
        JSON.stringify(current.struck || []) === JSON.stringify(r.data.struck || []);
      if (current && current.seq === entry.seq) {
        if (!r.data.accepted && !sameIntent) {
          // Another tab saved a newer answer first: re-send ours with a fresh sequence number.
          seq += 1;
          current.seq = seq;
          storePending(pending);
          return sendOne(pos);
        }
        delete pending[pos];
        storePending(pending);
      }
      setStatus("Saved at " + clock(new Date()) + ".");
      return r.data;
    });
  }

  function flush() {
    if (inFlight) { return inFlight.then(flush, flush); }
    var positions = Object.keys(pending);
    if (positions.length === 0) { return Promise.resolve(); }
    setStatus("Saving...");
    inFlight = positions.reduce(function (chain, pos) {
      return chain.then(function () { return pending[pos] ? sendOne(pos) : null; });
    }, Promise.resolve()).then(function () {
      inFlight = null;
      retryDelay = 1000;
      if (Object.keys(pending).length) { return flush(); }
    }, function (err) {
      inFlight = null;
      if (finished) { return; }
      setStatus("Not saved yet (" + err.message + "). Retrying in " + Math.round(retryDelay / 1000) + " s; your answer is kept on this device.", true);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      throw err;
    });
    return inFlight;
  }

  // ---- practice: the key and rationales come only when the candidate asks to check ----
  function checkAnswer() {
    if (!currentChoice()) { setStatus("Choose an answer first, then check it.", true); return; }
    api("POST", "/api/v1/attempts/" + attemptId + "/responses/" + position + "/check").then(function (res) {
      if (res.ok) { internalNavigation = true; window.location.reload(); return; }
      return res.json().then(function (data) { setStatus(data.error || ("HTTP " + res.status), true); });
    }, function () { setStatus("Not checked: the server did not answer. Try again.", true); });
  }

  // Question pages keep the flagged-only pass (?only=flagged) while it lasts.
  function goTo(target) {
    internalNavigation = true;
    if (target === "summary") { window.location.assign(root.dataset.summaryUrl); return; }
    var url = root.dataset.questionUrl.replace(/\/0$/, "/" + target);
    window.location.assign(url + (root.dataset.only === "flagged" ? "?only=flagged" : ""));
  }

  function currentChoice() {
    var checked = form && form.querySelector('input[name="choice"]:checked');
    return checked ? checked.value : null;
  }
  function currentFlag() {
    var box = document.getElementById("flagged");
    return !!(box && box.checked);
  }

  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "choice" || event.target.name === "flagged") {
        queue(position, currentChoice(), currentFlag()).catch(function () {});
      }
    });

    // With JavaScript, navigation waits for the save instead of posting the form again.
    form.addEventListener("submit", function (event) {
      var go = event.submitter ? event.submitter.value : "next";
      event.preventDefault();
      var target = go;
      if (go === "prev") { target = position - 1; }
      else if (go === "next") { target = position >= total ? "summary" : position + 1; }
      var done = flush().catch(function () {});
      done.then(function () {
        if (go === "check") { checkAnswer(); } else { goTo(target); }
      });
    });
  }

  // ---- strike-through: a note on options ruled out, saved with the response, never graded ----
  var strikeButtons = form ? Array.prototype.slice.call(form.querySelectorAll(".strike-toggle")) : [];
  var strikeArmed = false;
  function struckList() {
    return strikeButtons.filter(function (b) { return b.getAttribute("aria-pressed") === "true"; })
      .map(function (b) { return b.dataset.option; });
  }
  function toggleStrike(button) {
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.parentNode.classList.toggle("struck", on);
    queue(position, currentChoice(), currentFlag()).catch(function () {});
  }
  strikeButtons.forEach(function (button) {
    button.hidden = false;
    button.title = button.textContent.replace(/^S/, "");
    button.parentNode.classList.add("has-strike");
    button.addEventListener("click", function () { toggleStrike(button); });
  });

  // ---- keyboard: A-D / 1-4 choose, S then A-D strikes, F flags, arrows move, Enter checks ----
  document.addEventListener("keydown", function (event) {
    if (!form || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "textarea" || (tag === "input" && event.target.type === "text")) { return; }
    var checkButton = form.querySelector('button[value="check"]');
    if (event.key === "Enter" && checkButton && tag !== "button" && tag !== "a") {
      event.preventDefault();
      checkButton.click();
      return;
    }
    var key = event.key.toUpperCase();
    var map = { "1": "A", "2": "B", "3": "C", "4": "D", "A": "A", "B": "B", "C": "C", "D": "D" };
    if (strikeArmed) {
      strikeArmed = false;
      var target = map[key] && form.querySelector('.strike-toggle[data-option="' + map[key] + '"]');
      if (target && !target.disabled) { toggleStrike(target); event.preventDefault(); return; }
      setStatus("");
    }
    if (key === "S" && strikeButtons.length && !strikeButtons[0].disabled) {
      strikeArmed = true;
      setStatus("Strike out which option? Press A-D.");
      event.preventDefault();
    } else if (map[key]) {
      var radio = document.getElementById("choice-" + map[key]);
      if (radio && !radio.disabled) {
        radio.checked = true;
        radio.focus();
        queue(position, currentChoice(), currentFlag()).catch(function () {});
        event.preventDefault();
      }
    } else if (key === "F") {
      var box = document.getElementById("flagged");
      if (box) { box.checked = !box.checked; queue(position, currentChoice(), currentFlag()).catch(function () {}); event.preventDefault(); }
    } else if (event.key === "ArrowRight" && root.dataset.next) {
      event.preventDefault();
      flush().catch(function () {}).then(function () { goTo(root.dataset.next); });
    } else if (event.key === "ArrowLeft" && root.dataset.prev) {
      event.preventDefault();
      flush().catch(function () {}).then(function () { goTo(root.dataset.prev); });
    }
  });

  // ---- leaving a running timed exam: the clock does not stop, so ask first ----
  var timed = !!timerEl;
  function running() { return timed && !finished; }
  window.addEventListener("beforeunload", function (event) {
    var unsaved = Object.keys(pending).length && !finished;
    if (unsaved || (running() && !internalNavigation)) { event.preventDefault(); event.returnValue = ""; }
  });
  // Moving inside the exam (questions, navigator, summary, submit) is not leaving it.
  root.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (link) { internalNavigation = true; }
  });
  root.addEventListener("submit", function () { internalNavigation = true; });
  var LEAVE = "You are in a timed exam and the clock keeps running while you are away. Leave the exam?";
  function confirmLeaving(event) {
    if (!running()) { return; }
    if (window.confirm(LEAVE)) { internalNavigation = true; } else { event.preventDefault(); }
  }
  Array.prototype.forEach.call(document.querySelectorAll(".site-header a[href]"), function (link) {
    if (link.getAttribute("href").charAt(0) !== "#") { link.addEventListener("click", confirmLeaving); }
  });
  Array.prototype.forEach.call(document.querySelectorAll(".site-header form"), function (f) {
    f.addEventListener("submit", confirmLeaving);
  });

  // Anything left from a previous page load (offline, closed tab) is sent now.
  Object.keys(pending).forEach(function (pos) {
    markNavigator(pos, pending[pos].choice, pending[pos].flagged);
    seq = Math.max(seq, pending[pos].seq || 0);
  });
  if (Object.keys(pending).length) { flush().catch(function () {}); }
})();
