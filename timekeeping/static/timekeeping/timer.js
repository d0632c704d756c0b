// The record page's timer: start and stop it while working; it is kept in this browser's
// localStorage per record (so it survives a reload or another tab), and stopping it puts its
// minutes into the page's time fields (the reply box's and "Log time"'s). Logging the time
// (submitting a form with those minutes) clears it.
(function () {
  "use strict";

  function setUp(box) {
    var key = "servicedesk.timer." + box.getAttribute("data-timer");
    var clock = box.querySelector("[data-timer-clock]");
    var start = box.querySelector("[data-timer-start]");
    var stop = box.querySelector("[data-timer-stop]");
    var reset = box.querySelector("[data-timer-reset]");
    var ticking = null;

    function load() {
      try {
        return JSON.parse(window.localStorage.getItem(key)) || { since: null, elapsed: 0 };
      } catch (error) {
        return { since: null, elapsed: 0 };
      }
    }
    function save(state) {
      if (!state.since && !state.elapsed) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(state));
    }
    function elapsed(state) {
      return state.elapsed + (state.since ? Date.now() - state.since : 0);
    }
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function show() {
      var state = load();
      var seconds = Math.floor(elapsed(state) / 1000);
      clock.textContent = pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60);
      start.hidden = !!state.since;
      stop.hidden = !state.since;
      reset.hidden = !state.since && !state.elapsed;
      if (state.since && !ticking) ticking = window.setInterval(show, 1000);
      if (!state.since && ticking) { window.clearInterval(ticking); ticking = null; }
    }
    function fill(minutes) {
      document.querySelectorAll("[data-timer-target]").forEach(function (input) {
        input.value = String(minutes);
      });
      var details = box.parentNode.querySelector("details.time-log");
      if (details) details.open = true;
    }

    start.addEventListener("click", function () {
      var state = load();
      state.since = Date.now();
      save(state);
      show();
      stop.focus();
    });
    stop.addEventListener("click", function () {
      var state = load();
      state.elapsed = elapsed(state);
      state.since = null;
      save(state);
      show();
      fill(Math.max(1, Math.ceil(state.elapsed / 60000)));
      start.focus();
    });
    reset.addEventListener("click", function () {
      window.localStorage.removeItem(key);
      show();
    });
    document.querySelectorAll("form").forEach(function (form) {
      var input = form.querySelector("[data-timer-target]");
      if (!input) return;
      form.addEventListener("submit", function () {
        var state = load();
        if (!state.since && state.elapsed && input.value) window.localStorage.removeItem(key);
      });
    });
    show();
  }

  function init() {
    document.querySelectorAll("[data-timer]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
