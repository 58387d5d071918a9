// heatdesk desk: live updates and one-click standard replies. No library, no build step.
// Server-sent events name what changed ("queue", "conversation" + id, "orders"); every
// element with data-live of that kind fetches its fragment (data-src) again.
(function () {
  "use strict";

  function refresh(el) {
    return fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        el.innerHTML = html;
        el.dataset.refreshedAt = String(Date.now());
        if (el.dataset.live === "queue") countInTitle();
        if (el.dataset.live === "conversation") el.scrollTop = el.scrollHeight;
      });
  }

  function live(kind, id) {
    document.querySelectorAll('[data-live="' + kind + '"]').forEach(function (el) {
      if (id === undefined || id === "0" || el.dataset.id === id) refresh(el);
    });
  }

  // The server may show what residents' messages did (a line on a card, a handoff they
  // opened) up to data-words-lag late. So the list is fetched again once such events
  // pause, a little later than that, and at least every second while they do not; a
  // "queue" event (possibly an agent's doing, shown at once) is also fetched right away
  // when it starts a burst. In a cold snap that is two fetches a second, not hundreds.
  var settleTimer = null, settleDue = 0;
  function queueChanged(atOnce) {
    var list = document.querySelector('[data-live="queue"]');
    if (!list) return;
    var now = Date.now();
    if (settleTimer === null) {
      settleDue = now + 1000;
      if (atOnce) live("queue");
    }
    clearTimeout(settleTimer);
    var quiet = (Number(list.dataset.wordsLag) || 0) + 150;
    settleTimer = setTimeout(function () { settleTimer = null; live("queue"); },
      Math.max(0, Math.min(quiet, settleDue - now)));
  }

  function connect() {
    if (!window.EventSource || !document.querySelector("[data-live]")) return;
    var es = new EventSource("/desk/events");
    es.addEventListener("queue", function () { queueChanged(true); });
    es.addEventListener("orders", function () { live("orders"); });
    es.addEventListener("complaints", function () { live("complaints"); });
    es.addEventListener("complaint_overdue", function () { live("complaints"); });
    es.addEventListener("conversation", function (e) { live("conversation", e.data); queueChanged(false); });
    es.addEventListener("lagged", function () { live("queue"); live("orders"); live("conversation"); live("complaints"); });
    es.addEventListener("open", function () { document.body.dataset.live = "connected"; });
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-insert]");
    if (!b) return;
    var box = document.querySelector(b.dataset.target || "#reply-text");
    if (!box) return;
    box.value = b.dataset.insert;
    box.focus();
  });

  // Forms that show results as one types (hotline assist): the fragment at data-src is
  // fetched with the form's fields a moment after the last keystroke.
  var typing = null;
  document.addEventListener("input", function (e) {
    var form = e.target.closest("form[data-live-form]");
    if (!form) return;
    clearTimeout(typing);
    typing = setTimeout(function () {
      var target = document.querySelector(form.dataset.liveForm);
      var query = new URLSearchParams(new FormData(form)).toString();
      // Long texts (the office's editor) go in a body, with the session's CSRF token.
      var meta = document.querySelector('meta[name="csrf-token"]');
      var req = form.dataset.method === "post"
        ? fetch(form.dataset.src, { method: "POST", credentials: "same-origin", body: query,
            headers: { "Content-Type": "application/x-www-form-urlencoded", "x-csrf-token": meta ? meta.content : "" } })
        : fetch(form.dataset.src + "?" + query, { credentials: "same-origin" });
      req
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || !target) return;
          target.innerHTML = html;
          target.dataset.refreshedAt = String(Date.now());
        });
    }, 300);
  });

  // A reply goes out without leaving the page: the box clears and the line arrives live.
  function sendReply(form, submitter) {
    var box = form.querySelector("textarea");
    if (!box || !box.value.trim()) return;
    var meta = document.querySelector('meta[name="csrf-token"]');
    // The button pressed says what it is: a reply, or a private note.
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var body = new URLSearchParams(data).toString();
    fetch(form.action, { method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", "x-csrf-token": meta ? meta.content : "" } })
      .then(function (r) {
        if (!r.ok) { form.dataset.failed = String(r.status); return; }
        box.value = "";
        delete form.dataset.failed;
        live("conversation");
      });
  }
  document.addEventListener("submit", function (e) {
    if (!e.target.matches("form[data-ajax]")) return;
    e.preventDefault();
    sendReply(e.target, e.submitter);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    var form = e.target.closest && e.target.closest("form[data-ajax]");
    if (!form) return;
    e.preventDefault();
    sendReply(form);
  });

  // The waiting count leads the tab's title, so an agent on another tab sees work arrive;
  // with alerts on, a new arrival also chimes and, in a hidden tab, notifies.
  var baseTitle = document.title;
  var lastWaiting = null;
  function alertsOn() { return window.localStorage && localStorage.getItem("heatdesk-alerts") === "on"; }
  function chime() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.1;
    osc.connect(gain); gain.connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.25);
  }
  function countInTitle() {
    var s = document.querySelector("#queue [data-waiting]");
    if (!s) return;
    var n = Number(s.dataset.waiting) || 0;
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
    if (lastWaiting !== null && n > lastWaiting && alertsOn()) {
      chime();
      if (document.hidden && window.Notification && Notification.permission === "granted") {
        new Notification(document.title);
      }
    }
    lastWaiting = n;
  }
  function showAlerts(button) {
    if (alertsOn()) button.textContent = button.dataset.on;
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("#alerts");
    if (!b) return;
    localStorage.setItem("heatdesk-alerts", "on");
    // Asked once: the browser remembers the answer.
    if (window.Notification && Notification.permission === "default") Notification.requestPermission();
    showAlerts(b);
  });

  document.addEventListener("DOMContentLoaded", function () {
    countInTitle();
    var alerts = document.getElementById("alerts");
    if (alerts) showAlerts(alerts);
    // On a phone the context is folded under the reply box; a tap opens it.
    var ctx = document.getElementById("context-details");
    if (ctx && window.matchMedia("(max-width: 899px)").matches) ctx.open = false;
    var t = document.getElementById("transcript");
    if (t) t.scrollTop = t.scrollHeight;
    connect();
  });
})();
