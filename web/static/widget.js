/* 充值客服 chat widget. One <script src=".../widget.js"> tag: it loads its styles and the socket.io client itself,
   talks to Rasa's socket.io channel, and keeps the session id and the conversation in localStorage so a reload
   picks up where the customer left off. Every message is rendered with textContent, never as HTML. */
(function () {
  "use strict";

  var CONFIG = /*__TOPUP_CONFIG__*/null || {};
  var MAX_LEN = 1000;
  var TYPING_MAX_MS = 15000;
  var HISTORY_MAX = 200;
  var AGENT_PREFIX = "【客服";

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all[all.length - 1];
  })();
  if (!script || window.__topupChatLoaded) return;
  window.__topupChatLoaded = true;

  var base = new URL(script.src, location.href);
  var token = script.getAttribute("data-customer-token") || null;
  var pageMode = script.getAttribute("data-mode") === "page";
  var storeKey = "topup-chat:" + customerKey(token);

  // ---- storage ------------------------------------------------------------------------------------------------
  function customerKey(tok) {
    // Separate conversations per signed-in customer on a shared computer; the server verifies the token itself.
    if (!tok) return "guest";
    try {
      var part = tok.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      var data = JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
      return data && data.sub ? "c:" + String(data.sub) : "guest";
    } catch (e) {
      return "guest";
    }
  }
  function load(name, fallback) {
    try {
      var raw = localStorage.getItem(storeKey + ":" + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function save(name, value) {
    try {
      localStorage.setItem(storeKey + ":" + name, JSON.stringify(value));
    } catch (e) { /* private mode or full: the chat still works, it just won't survive a reload */ }
  }

  var sessionId = load("session", null);
  var history = load("history", []);
  if (!Array.isArray(history)) history = [];

  // ---- DOM ----------------------------------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function chatIcon() {
    // Drawn, not an emoji: many Chinese desktop and Android fonts have no emoji glyphs.
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "tkf-launcher-icon");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 " +
      "1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("fill-rule", "evenodd");
    svg.appendChild(path);
    return svg;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = new URL("static/chat.css", base).href;
  document.head.appendChild(css);

  var root = el("div", "tkf-root " + (pageMode ? "tkf-mode-page" : "tkf-mode-float"));
  var launcher = el("button", "tkf-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "打开在线客服");
  launcher.appendChild(chatIcon());
  launcher.appendChild(el("span", "tkf-launcher-text", "在线客服"));
  var unread = el("span", "tkf-unread");
  unread.hidden = true;
  launcher.appendChild(unread);

  var win = el("section", "tkf-window");
  win.setAttribute("role", "dialog");
  win.setAttribute("aria-label", "充值客服");
  var header = el("header", "tkf-header");
  var heading = el("div", "tkf-heading");
  heading.appendChild(el("div", "tkf-title", "充值客服"));
  heading.appendChild(el("div", "tkf-subtitle", "智能助手小卡在线，需要时可转人工"));
  header.appendChild(heading);
  var closeBtn = el("button", "tkf-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", "收起对话");
  header.appendChild(closeBtn);
  var status = el("div", "tkf-status", "正在连接客服…");
  var log = el("div", "tkf-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "tkf-compose");
  var input = el("textarea", "tkf-input");
  input.rows = 1;
  input.placeholder = "请描述您的问题或输入订单号…";
  input.setAttribute("aria-label", "输入消息");
  var sendBtn = el("button", "tkf-send", "发送");
  sendBtn.type = "submit";
  form.appendChild(input);
  form.appendChild(sendBtn);
  win.appendChild(header);
  win.appendChild(status);
  win.appendChild(log);
  win.appendChild(form);
  if (!pageMode) root.appendChild(launcher);
  root.appendChild(win);

  var typing = el("div", "tkf-msg tkf-typing-row");
  var dots = el("div", "tkf-bubble tkf-typing");
  dots.setAttribute("aria-label", "客服正在输入");
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  typing.appendChild(dots);
  var typingTimer = null;

  // ---- rendering ----------------------------------------------------------------------------------------------
  function messageNode(m) {
    var row = el("div", "tkf-msg tkf-from-" + m.from);
    if (m.from === "agent") row.appendChild(el("span", "tkf-badge", "人工客服"));
    row.appendChild(el("div", "tkf-bubble", m.text));
    return row;
  }

  function repliesNode(buttons) {
    var box = el("div", "tkf-replies");
    buttons.forEach(function (b) {
      var btn = el("button", "tkf-reply", b.title);
      btn.type = "button";
      btn.addEventListener("click", function () {
        box.remove();
        send(b.payload, b.title);
      });
      box.appendChild(btn);
    });
    return box;
  }

  function render() {
    log.textContent = "";
    if (!history.length) {
      log.appendChild(el("div", "tkf-empty", "充值卡住、扣款没到账、支付失败，都可以在这里问，发订单号查得更快。"));
    }
    var lastUser = -1;
    history.forEach(function (m, i) { if (m.from === "user") lastUser = i; });
    history.forEach(function (m, i) {
      log.appendChild(messageNode(m));
      // Quick replies stay clickable only until the customer answers.
      if (i > lastUser && m.buttons && m.buttons.length) log.appendChild(repliesNode(m.buttons));
    });
    if (typingTimer) log.appendChild(typing);
    log.scrollTop = log.scrollHeight;
  }

  function add(message) {
    history.push(message);
    if (history.length > HISTORY_MAX) history = history.slice(history.length - HISTORY_MAX);
    save("history", history);
    render();
  }

  function showTyping() {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MAX_MS);
    log.appendChild(typing);
    log.scrollTop = log.scrollHeight;
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    typingTimer = null;
    typing.remove();
  }

  function setStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  // ---- socket.io ----------------------------------------------------------------------------------------------
  var socket = null;
  var confirmed = false;
  var pending = [];

  function rasaUrl() {
    if (CONFIG.rasaUrl) return CONFIG.rasaUrl;
    return base.protocol + "//" + base.hostname + ":" + (CONFIG.rasaPort || 5005);
  }

  function emit(text) {
    var data = { message: text, session_id: sessionId, metadata: {} };
    if (token) data.metadata.customer_token = token;
    socket.emit("user_uttered", data);
  }

  function connect() {
    if (socket) return;
    socket = window.io(rasaUrl(), { path: "/socket.io/", transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : data && data.session_id;
      if (id) {
        sessionId = id;
        save("session", id);
      }
      confirmed = true;
      setStatus("");
      root.setAttribute("data-session", sessionId || "");
      while (pending.length) emit(pending.shift());
      fetchMissed();
    });
    socket.on("bot_uttered", onBot);
    socket.on("disconnect", function () {
      confirmed = false;
      setStatus("连接断开了，正在重新连接…");
    });
    socket.on("connect_error", function () {
      setStatus("暂时连不上客服，正在重试…");
    });
  }

  // The server's time of the last assistant message shown: a page that was closed (or lost its connection) asks
  // the web app for the messages after it when it connects again (web/notify.py: missed), so none is lost and none
  // is shown twice.
  var lastTs = Number(load("last_ts", 0)) || 0;
  function seen(ts) {
    if (typeof ts === "number" && ts > lastTs) {
      lastTs = ts;
      save("last_ts", lastTs);
    }
  }
  var fetching = false;
  function fetchMissed() {
    if (fetching || !sessionId || !window.fetch) return;
    // Never stamped, but messages shown (a page of an older version): they are not fetched a second time.
    if (!lastTs && history.some(function (m) { return m.from !== "user"; })) return;
    fetching = true;
    var url = new URL("/api/chat/missed", base);
    url.searchParams.set("session", sessionId);
    url.searchParams.set("after", String(lastTs));
    window.fetch(url.toString(), { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        (body && Array.isArray(body.messages) ? body.messages : []).forEach(function (m) {
          if (typeof m.ts === "number" && m.ts > lastTs) onBot(m);
        });
      }).catch(function () { /* tried again on the next connect */ })
      .then(function () { fetching = false; });
  }

  function onBot(data) {
    if (!data || typeof data !== "object") return;
    seen(data.ts);
    var text = typeof data.text === "string" ? data.text : "";
    var raw = Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [];
    var buttons = raw.filter(function (b) {
      return b && b.title !== undefined && b.payload !== undefined;
    }).map(function (b) {
      return { title: String(b.title), payload: String(b.payload) };
    });
    if (!text && !buttons.length) return;
    hideTyping();
    add({ from: text.indexOf(AGENT_PREFIX) === 0 ? "agent" : "bot", text: text, buttons: buttons });
    if (!pageMode && !root.classList.contains("tkf-open")) {
      unread.hidden = false;
      unread.textContent = "新消息";
    }
  }

  function send(text, shown) {
    text = String(text || "").trim();
    if (!text) return;
    var chars = Array.from(text);
    var cut = chars.length > MAX_LEN;
    if (cut) text = chars.slice(0, MAX_LEN).join("");
    add({ from: "user", text: shown || text });
    if (cut) add({ from: "note", text: "消息超过 " + MAX_LEN + " 字，只发送了前 " + MAX_LEN + " 字。" });
    ready(connect);
    if (socket && confirmed && socket.connected) emit(text);
    else pending.push(text);
    showTyping();
  }

  // ---- wiring ---------------------------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    autosize();
    send(text);
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; never while a Chinese IME is still composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", autosize);

  function open() {
    root.classList.add("tkf-open");
    unread.hidden = true;
    try { sessionStorage.setItem(storeKey + ":open", "1"); } catch (e) { /* ignore */ }
    ready(connect);
    log.scrollTop = log.scrollHeight;
    if (!pageMode) input.focus();
  }
  function close() {
    root.classList.remove("tkf-open");
    try { sessionStorage.removeItem(storeKey + ":open"); } catch (e) { /* ignore */ }
  }
  launcher.addEventListener("click", open);
  closeBtn.addEventListener("click", close);

  var ioReady = typeof window.io === "function";
  var waiting = [];
  function ready(fn) {
    if (ioReady) fn();
    else waiting.push(fn);
  }
  if (!ioReady) {
    var loader = el("script");
    loader.src = new URL("static/vendor/socket.io.min.js", base).href;
    loader.onload = function () {
      ioReady = true;
      while (waiting.length) waiting.shift()();
    };
    loader.onerror = function () { setStatus("客服组件没加载成功，请刷新页面重试。"); };
    document.head.appendChild(loader);
  }

  function mount() {
    document.body.appendChild(root);
    render();
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(storeKey + ":open") === "1"; } catch (e) { /* ignore */ }
    if (pageMode || wasOpen) open();
    else if (history.length) ready(connect); // keep listening so a person's reply is not missed
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
