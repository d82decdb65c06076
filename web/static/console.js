/* 客服工作台: sign-in, the live events (SSE), the case view, claim / reply / resolve (the queue: console-queue.js).
   Everything that came from a customer is put on the page with textContent, never as HTML. */
(function () {
  "use strict";

  var EXPIRED = "登录已过期，请重新登录";
  // The platform's time zone and every label come from the server (topup/labels.py via /console-config.js),
  // so the console and the Python summaries always name a status the same way.
  var CONFIG = window.TOPUP_CONSOLE;
  var ZONE = CONFIG.zone;
  var RATING_POLL_MS = 3000;
  var RATING_POLL_FOR_MS = 10 * 60 * 1000;

  var L = CONFIG.labels;

  var state = {
    me: null, source: null, current: null, seen: {}, ratingTimer: null,
    live: {} // messages of the open ticket that came over SSE, so a re-render racing them does not drop any
  };

  // ---- helpers ------------------------------------------------------------------------------------------------
  var $ = window.TopupDom.$, el = window.TopupDom.el; // web/static/dom.js
  function label(map, key) { return key === null || key === undefined ? "—" : (map[key] || String(key)); }
  function fmtTime(iso) {
    if (!iso) return "—";
    var d = new Date(iso);
    if (isNaN(d)) return String(iso);
    var opts = { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hour12: false };
    var day = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, month: "numeric", day: "numeric" });
    var today = day.format(new Date()) === day.format(d);
    return (today ? "今天 " : day.format(d) + " ") + new Intl.DateTimeFormat("zh-CN", opts).format(d);
  }
  function yuan(cents) { return cents === undefined || cents === null ? "—" : (cents / 100).toFixed(2).replace(/\.00$/, "") + " 元"; }
  function show(node, visible) { node.hidden = !visible; }

  function ApiError(status, message, data) { this.status = status; this.message = message; this.data = data; }

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.status === 401 && path !== "/api/login") {
          signedOut(data && data.code === "session_expired" ? EXPIRED : "");
        }
        if (!res.ok) throw new ApiError(res.status, (data && data.error) || "出了点问题，请稍后再试", data);
        return data;
      });
    }, function () {
      throw new ApiError(0, "网络好像断了，请检查网络后再试", null);
    });
  }

  // ---- sign-in ------------------------------------------------------------------------------------------------
  function signedOut(message) {
    if (state.source) state.source.close();
    state.source = null;
    state.me = null;
    state.current = null;
    clearInterval(state.ratingTimer);
    show($("app-view"), false);
    show($("login-view"), true);
    var error = $("login-error");
    error.textContent = message || "";
    show(error, !!message);
    $("login-password").value = "";
    $("login-username").focus();
    window.dispatchEvent(new CustomEvent("topup:signed-out")); // console-tools.js closes its dialogs
  }

  function signedIn(me) {
    state.me = me;
    $("me-name").textContent = (me.display_name || me.username) + "（" + me.username + "）";
    show($("login-view"), false);
    show($("app-view"), true);
    show($("ticket-view"), false);
    show($("ticket-placeholder"), true);
    connectEvents();
    loadNames();
    // The focus lands on the queue (not dropped on the page's body): Tab goes on to its tabs and search.
    var heading = $("queue-title");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
    window.dispatchEvent(new CustomEvent("topup:signed-in", { detail: me })); // tools: reopen the last ticket
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var username = $("login-username").value.trim();
    var password = $("login-password").value;
    var error = $("login-error");
    if (!username || !password) {
      error.textContent = "请输入用户名和密码";
      show(error, true);
      return;
    }
    $("login-submit").disabled = true;
    api("POST", "/api/login", { username: username, password: password }).then(signedIn, function (err) {
      error.textContent = err.status === 401 ? "用户名或密码不正确" : err.message;
      show(error, true);
    }).then(function () { $("login-submit").disabled = false; });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/logout").catch(function () { /* signed out locally anyway */ }).then(function () { signedOut(""); });
  });

  // ---- live events --------------------------------------------------------------------------------------------
  function connectEvents() {
    if (state.source) state.source.close();
    var source = new EventSource("/api/events");
    state.source = source;
    source.addEventListener("open", function () {
      $("live-status").textContent = "实时更新中";
      $("live-status").className = "live live-on";
      if (state.current) openTicket(state.current.ticket.ticket_no, true); // catch up on anything missed
    });
    // "The queue changed" (a version, the tab counts, the newest open ticket): console-queue.js re-reads its page.
    source.addEventListener("queue", function (event) { window.ConsoleQueue.changed(JSON.parse(event.data)); });
    source.addEventListener("message", function (event) { onLiveMessage(JSON.parse(event.data)); });
    source.addEventListener("expired", function () { signedOut(EXPIRED); });
    source.addEventListener("error", function () {
      if (state.source !== source) return;
      $("live-status").textContent = "连接中断，正在重连…";
      $("live-status").className = "live live-off";
      if (source.readyState === EventSource.CLOSED) {
        // A refused stream is usually an expired session: /api/me tells, and signs out if so.
        setTimeout(function () {
          if (state.source !== source) return;
          api("GET", "/api/me").then(connectEvents, function () { /* signedOut already ran on 401 */ });
        }, 2000);
      }
    });
  }

  function onLiveMessage(m) {
    var cur = state.current && state.current.ticket;
    if (cur && m.ticket_no === cur.ticket_no) {
      state.live[m.id] = m;
      appendLive(m);
    } else if (m.role === "customer") {
      window.ConsoleQueue.markUnread(m.ticket_no);
    }
  }

  // ---- the ticket view ----------------------------------------------------------------------------------------
  function openTicket(ticketNo, refresh) {
    return api("GET", "/api/tickets/" + encodeURIComponent(ticketNo)).then(function (data) {
      var keepDrafts = refresh && state.current && state.current.ticket.ticket_no === ticketNo;
      var drafts = keepDrafts ? readDrafts() : null;
      if (!keepDrafts) state.live = {};
      state.current = data;
      state.seen = {};
      window.TicketView.render(data, state.me, actions);
      var byId = {};
      data.messages.concat(Object.keys(state.live).map(function (k) { return state.live[k]; }))
        .forEach(function (m) { byId[m.id] = m; });
      Object.keys(byId).map(Number).sort(function (a, b) { return a - b; })
        .forEach(function (id) { appendLive(byId[id]); });
      if (drafts) writeDrafts(drafts);
      window.ConsoleQueue.selected(ticketNo, data.ticket); // its row selected (and the list follows a claim)
      show($("ticket-placeholder"), false);
      show($("ticket-view"), true);
      window.TicketView.settle(); // visible now: the transcript can scroll to its newest message
      var title = !refresh && document.querySelector("#ticket-view h2");
      if (title) { // opened by the agent: the keyboard goes on from the case, not from the queue row
        title.tabIndex = -1;
        title.focus({ preventScroll: true });
      }
      window.dispatchEvent(new CustomEvent("topup:ticket-opened", { detail: { data: data, refresh: !!refresh } }));
      watchRating(data.ticket);
    }, function (err) {
      if (err.status !== 401 && !refresh) window.TicketView.notice(err.message, "error");
    });
  }

  function appendLive(m) {
    if (state.seen[m.id]) return;
    state.seen[m.id] = true;
    window.TicketView.appendLive(m);
  }

  function readDrafts() {
    return { reply: $("reply-text") ? $("reply-text").value : "", resolution: $("resolve-text") ? $("resolve-text").value : "" };
  }
  function writeDrafts(d) {
    if ($("reply-text")) $("reply-text").value = d.reply;
    if ($("resolve-text")) $("resolve-text").value = d.resolution;
  }

  function watchRating(ticket) {
    clearInterval(state.ratingTimer);
    if (ticket.status !== "resolved" || ticket.details.rating) return;
    var until = Date.now() + RATING_POLL_FOR_MS;
    state.ratingTimer = setInterval(function () {
      var cur = state.current && state.current.ticket;
      if (!cur || cur.ticket_no !== ticket.ticket_no || Date.now() > until) return clearInterval(state.ratingTimer);
      api("GET", "/api/tickets/" + encodeURIComponent(ticket.ticket_no)).then(function (data) {
        if (data.ticket.details.rating) openTicket(ticket.ticket_no, true);
      }, function () { /* try again on the next tick */ });
    }, RATING_POLL_MS);
  }

  function act(path, body, button) {
    var ticketNo = state.current.ticket.ticket_no;
    if (button) button.disabled = true;
    return api("POST", "/api/tickets/" + encodeURIComponent(ticketNo) + path, body).then(function (data) {
      return { ok: true, data: data };
    }, function (err) {
      if (err.status !== 401) window.TicketView.notice(err.message, err.status === 502 ? "warn" : "error");
      return { ok: err.status === 502, data: err.data };
    }).then(function (result) {
      if (button) button.disabled = false;
      if (!state.current || state.current.ticket.ticket_no !== ticketNo) return result;
      // The case is drawn again: the agent goes on typing where they were (after a claim: in the reply box).
      var sent = result.ok && path === "/reply" && $("reply-text");
      if (sent) { // sent: no longer a draft, here or in the saved drafts (console-tools.js listens to input)
        sent.value = "";
        sent.dispatchEvent(new Event("input", { bubbles: true }));
      }
      var keep = document.activeElement && document.activeElement.id;
      var into = result.ok && (path === "/claim" || path === "/reply") ? "reply-text" : keep;
      return openTicket(ticketNo, true).then(function () {
        var box = into && $(into);
        if (box && typeof box.focus === "function") {
          box.focus();
          if (typeof box.value === "string" && box.setSelectionRange) box.setSelectionRange(box.value.length, box.value.length);
        }
        return result;
      });
    });
  }

  var actions = {
    claim: function (button) { return act("/claim", {}, button); },
    reply: function (text, button) { return act("/reply", { text: text }, button); },
    resolve: function (resolution, button) { return act("/resolve", { resolution: resolution }, button); }
  };

  // Every colleague's display name (a line a colleague wrote before a transfer names them too, never by account).
  var names = {};
  function loadNames() {
    api("GET", "/api/agents").then(function (data) {
      (data.agents || []).forEach(function (a) { names[a.username] = a.display_name || a.username; });
    }, function () { /* the account name stays until the next sign-in */ });
  }
  function agentName(username) {
    if (state.me && state.me.username === username) return state.me.display_name || username;
    if (names[username]) return names[username];
    var t = state.current && state.current.ticket;
    return t && t.details.assigned_agent === username && t.details.assigned_agent_name || username;
  }

  window.ConsoleLabels = { L: L, label: label, fmtTime: fmtTime, yuan: yuan, el: el, agentName: agentName };
  // What console-tools.js works with: the API, the open case, the signed-in agent, the ticket actions.
  window.ConsoleApp = {
    api: api, act: act, openTicket: openTicket,
    current: function () { return state.current; },
    me: function () { return state.me; }
  };

  // ---- start --------------------------------------------------------------------------------------------------
  api("GET", "/api/me").then(signedIn, function (err) {
    if (err.status !== 401) signedOut(err.message);
  });
})();
