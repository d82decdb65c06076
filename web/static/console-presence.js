/* 客服工作台 · the customer's side of the open case: is their page open, have they read the last reply, are they
   typing; and the agent's own typing, shown on the customer's page (web/chat.py). */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var TYPING_EVERY_MS = 2500;
  var state = { ticket: null, timer: null, typingSent: 0, typing: false };

  function app() { return window.ConsoleApp; }
  function labels() { return window.ConsoleLabels; }

  function badge() {
    var node = document.getElementById("t-presence");
    if (node) return node;
    var head = document.querySelector("#ticket-view .t-head");
    if (!head) return null;
    node = labels().el("div", "presence");
    node.id = "t-presence";
    node.setAttribute("role", "status");
    node.setAttribute("aria-live", "polite");
    head.appendChild(node);
    return node;
  }

  function describe(p) {
    if (p.typing) return { text: "客户正在输入…", kind: "typing" };
    var read = p.has_reply ? (p.last_reply_read ? " · 已读您的回复" : " · 还没看到最新回复") : "";
    if (p.online) return { text: "客户在线" + read, kind: "online" };
    var since = p.seen_at ? "（最后在线 " + labels().fmtTime(p.seen_at) + "）" : "";
    return { text: "客户已离开页面" + since + (p.has_reply ? " · 回复会在客户回来时送达" : ""), kind: "away" };
  }

  function poll() {
    var ticket = state.ticket;
    if (!ticket || !app()) return;
    app().api("GET", "/api/tickets/" + encodeURIComponent(ticket) + "/presence").then(function (p) {
      if (state.ticket !== ticket) return;
      var node = badge();
      if (!node) return;
      var d = describe(p);
      if (node.textContent !== d.text) node.textContent = d.text;
      node.className = "presence presence-" + d.kind;
    }, function () { /* shown again on the next poll */ }).then(function () {
      if (state.ticket === ticket) state.timer = setTimeout(poll, POLL_MS);
    });
  }

  function follow(data) {
    var t = data && data.ticket;
    var ticket = t && t.status !== "resolved" ? t.ticket_no : null;
    if (ticket === state.ticket && state.timer) {
      badge();  // the view was re-rendered: put the badge back, the next poll fills it
      return;
    }
    clearTimeout(state.timer);
    state.timer = null;
    state.ticket = ticket;
    if (ticket) poll();
  }

  function sendTyping(on) {
    var cur = app() && app().current();
    var me = app() && app().me();
    if (!cur || !me || cur.ticket.details.assigned_agent !== me.username || cur.ticket.status !== "in_progress") return;
    var now = Date.now();
    if (on === state.typing && (!on || now - state.typingSent < TYPING_EVERY_MS)) return;
    state.typing = on;
    state.typingSent = now;
    app().api("POST", "/api/tickets/" + encodeURIComponent(cur.ticket.ticket_no) + "/typing", { typing: on })
      .catch(function () { /* typing is a nicety: never an error for the agent */ });
  }

  document.addEventListener("input", function (e) {
    if (e.target && e.target.id === "reply-text") sendTyping(e.target.value.trim() !== "");
  });
  document.addEventListener("focusout", function (e) {
    if (e.target && e.target.id === "reply-text") sendTyping(false);
  });
  document.addEventListener("keydown", function (e) {
    // Enter sends the reply (console-ticket.js): the agent is no longer typing.
    if (e.target && e.target.id === "reply-text" && e.key === "Enter" && !e.shiftKey) setTimeout(function () {
      if (!e.target.value.trim()) sendTyping(false);
    }, 0);
  });
  window.addEventListener("topup:ticket-opened", function (e) { follow(e.detail && e.detail.data); });
  window.addEventListener("topup:signed-out", function () { follow(null); });
})();
