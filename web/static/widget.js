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
  // Drawn, not an emoji: many Chinese desktop and Android fonts have no emoji glyphs.
  function icon(className, d, evenodd) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", className);
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "currentColor");
    if (evenodd) path.setAttribute("fill-rule", "evenodd");
    svg.appendChild(path);
    return svg;
  }
  function chatIcon() {
    return icon("tkf-launcher-icon", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 " +
      "6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z", true);
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
  var title = el("div", "tkf-title", "充值客服");
  var subtitle = el("div", "tkf-subtitle", "智能助手小卡在线，需要时可转人工");
  heading.appendChild(title);
  heading.appendChild(subtitle);
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
  input.placeholder = "描述问题或输入订单号"; // one line on a 390 px phone
  input.setAttribute("aria-label", "输入消息");
  var sendBtn = el("button", "tkf-send", "发送");
  sendBtn.type = "submit";
  // A payment screenshot: the picture button opens the file chooser; the server checks what the file really is.
  var attachBtn = el("button", "tkf-attach");
  attachBtn.type = "button";
  attachBtn.setAttribute("aria-label", "发图片"); // not "发送…": the send button is found by its name 发送
  attachBtn.title = "发图片（支付截图等）";
  attachBtn.appendChild(pictureIcon());
  var fileInput = el("input", "tkf-file");
  fileInput.type = "file";
  fileInput.accept = "image/png,image/jpeg,image/webp";
  fileInput.hidden = true;
  fileInput.tabIndex = -1;
  form.appendChild(input);
  form.appendChild(attachBtn);
  form.appendChild(fileInput);
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

  // Who holds the chat: null is the assistant, a name is the agent the console says joined (a custom message
  // from actions/takeover.py). While an agent holds it the assistant's dots never show: only the agent's own.
  var agent = load("agent", null);
  function setAgent(name) {
    agent = typeof name === "string" && name ? name : null;
    save("agent", agent);
    title.textContent = agent ? "客服" + agent : "充值客服";
    subtitle.textContent = agent ? "人工客服正在为您服务" : "智能助手小卡在线，需要时可转人工";
    root.classList.toggle("tkf-agent-on", !!agent);
    if (agent) hideTyping();
    dots.setAttribute("aria-label", agent ? "客服" + agent + "正在输入" : "客服正在输入");
    schedulePresence();
  }

  // ---- rendering ----------------------------------------------------------------------------------------------
  // After a rating: an optional comment, stored on the ticket (web/chat.py: rating_comment).
  function commentNode(m) {
    var row = el("form", "tkf-comment");
    if (m.done) { // what they wrote, as their own message, and a quiet line that it reached the team
      var said = el("div", "tkf-msg tkf-from-user");
      said.appendChild(el("div", "tkf-bubble", m.text || ""));
      row.appendChild(said);
      row.appendChild(el("div", "tkf-note-line", "补充评价已收到"));
      return row;
    }
    var field = el("textarea", "tkf-comment-input");
    field.rows = 2;
    field.maxLength = 500;
    field.placeholder = "还想说点什么吗？（选填）";
    field.setAttribute("aria-label", "补充评价（选填）");
    // The log is redrawn when a message arrives: what the customer is typing here survives it.
    field.value = m.draft || "";
    field.addEventListener("input", function () { m.draft = field.value; });
    if (commentFocused) {
      setTimeout(function () { field.focus(); field.setSelectionRange(field.value.length, field.value.length); }, 0);
    }
    var submit = el("button", "tkf-comment-send", "提交评价");
    submit.type = "submit";
    var problem = el("div", "tkf-comment-error");
    problem.setAttribute("role", "alert");
    row.appendChild(field);
    row.appendChild(submit);
    row.appendChild(problem);
    row.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = field.value.trim();
      if (!text) { problem.textContent = "写一句再提交，或者直接关掉也没关系。"; field.focus(); return; }
      submit.disabled = true;
      postComment(text, 0).then(function () {
        m.done = true;
        m.text = text;
        save("history", history);
        render();
        input.focus();
      }, function (message) {
        problem.textContent = message;
        submit.disabled = false;
      });
    });
    return row;
  }
  // The comment box comes after the assistant's thanks for the rating (or after 4 s if the thanks is late).
  var commentPending = null;
  function askComment() {
    clearTimeout(commentPending);
    commentPending = setTimeout(showComment, 4000);
  }
  function showComment() {
    if (commentPending === null) return;
    clearTimeout(commentPending);
    commentPending = null;
    add({ from: "comment" });
  }
  function postComment(text, attempt) {
    return window.fetch(new URL("/api/chat/rating-comment", base).toString(), {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: sessionId, comment: text })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) return true;
        // The rating itself may still be on its way to the ticket: try again shortly.
        if (r.status === 409 && attempt < 4) {
          return new Promise(function (done) { setTimeout(done, 1500); }).then(function () {
            return postComment(text, attempt + 1);
          });
        }
        throw (body && body.error) || "没提交成功，请稍后再试";
      });
    }, function () { throw "网络好像断了，请稍后再试"; });
  }

  function messageNode(m) {
    if (m.from === "comment") return commentNode(m);
    var row = el("div", "tkf-msg tkf-from-" + m.from);
    if (m.from === "agent") row.appendChild(el("span", "tkf-badge", "人工客服"));
    row.appendChild(m.image ? imageNode(m) : el("div", "tkf-bubble", m.text));
    return row;
  }

  // ---- images (web/attachments.py) ------------------------------------------------------------------------------
  function pictureIcon() {
    return icon("tkf-attach-icon", "M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2v9.6l4-4.1 " +
      "3 3 2.5-2.5L19 17V7H5zm10.5 1.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z");
  }
  // Only this service's own image addresses are shown, and only they get the session: it is the key to this
  // conversation's images, never sent anywhere else.
  function imageUrl(path) {
    if (typeof path !== "string" || path.indexOf("/api/attachments/") !== 0) return null;
    var url = new URL(path, base);
    if (sessionId) url.searchParams.set("session", sessionId);
    return url.toString();
  }
  function imageNode(m) {
    var bubble = el("div", "tkf-bubble tkf-image");
    var src = imageUrl(m.image);
    if (!src) return el("div", "tkf-bubble", "[图片]");
    var what = m.from === "user" ? "您发送的图片" : "客服发来的图片";
    var link = el("a", "tkf-image-link");
    link.href = src;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.setAttribute("aria-label", what + "，点击查看大图");
    var img = el("img", "tkf-image-thumb");
    img.alt = what;
    if (m.w && m.h) { img.width = m.w; img.height = m.h; } // the space is kept before it loads
    img.addEventListener("load", function () {
      if (log.scrollHeight - log.scrollTop - log.clientHeight < img.clientHeight + 80) log.scrollTop = log.scrollHeight;
    });
    img.addEventListener("error", function () { bubble.textContent = "图片加载不出来了"; });
    img.src = src;
    link.appendChild(img);
    bubble.appendChild(link);
    return bubble;
  }
  function sendImage(file) {
    if (!file) return;
    if (CONFIG.attachmentMaxBytes && file.size > CONFIG.attachmentMaxBytes) {
      add({ from: "note", text: CONFIG.attachmentTooBig || "图片太大了，请压缩后再发。" }); // not sent at all
      return;
    }
    if (!sessionId || !window.fetch || !window.FormData) {
      add({ from: "note", text: "还没连上客服，连上后再发图片。" });
      ready(connect);
      return;
    }
    var url = new URL("/api/chat/attachments", base);
    url.searchParams.set("session", sessionId);
    var body = new FormData();
    body.append("file", file, "image"); // the name is never used: the server judges the content
    attachBtn.disabled = true;
    attachBtn.setAttribute("aria-busy", "true");
    setStatus("正在发送图片…");
    window.fetch(url.toString(), { method: "POST", body: body, credentials: "omit" }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data || {} };
      });
    }).then(function (res) {
      var a = res.data.attachment;
      if (res.ok && a && typeof a.url === "string") {
        add({ from: "user", image: a.url, w: a.width, h: a.height });
        if (typeof res.data.text === "string") add({ from: "bot", text: res.data.text });
      } else {
        add({ from: "note", text: typeof res.data.error === "string" ? res.data.error
          : res.status === 413 ? "图片太大了，请压缩后再发。" : "图片没发出去，请稍后再试。" });
      }
    }, function () {
      add({ from: "note", text: "网络好像断了，图片没发出去，请稍后再试。" });
    }).then(function () {
      attachBtn.disabled = false;
      attachBtn.removeAttribute("aria-busy");
      if (status.textContent === "正在发送图片…") setStatus("");
    });
  }
  attachBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = ""; // the same screenshot can be chosen again
    sendImage(file);
    input.focus();
  });

  function repliesNode(buttons) {
    var box = el("div", "tkf-replies");
    buttons.forEach(function (b) {
      var btn = el("button", "tkf-reply", b.title);
      btn.type = "button";
      btn.addEventListener("click", function () {
        box.remove();
        send(b.payload, b.title);
        if (b.payload.indexOf("/rate") === 0) askComment();
        else input.focus(); // focus stays in the chat, not on a button that is gone
      });
      box.appendChild(btn);
    });
    return box;
  }

  var commentFocused = false;
  function render() {
    var active = document.activeElement;
    commentFocused = !!(active && active.classList && active.classList.contains("tkf-comment-input"));
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
    if (agent) return; // nobody is typing for the assistant while a person holds the chat
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
    if (resuming) { resuming.then(connect); return; }
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
      schedulePresence(0);
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
  function fetchMissed(mine) {
    if (fetching || !sessionId || !window.fetch) return;
    // Never stamped, but messages shown (a page of an older version): they are not fetched a second time.
    if (!mine && !lastTs && history.some(function (m) { return m.from !== "user"; })) return;
    fetching = true;
    var url = new URL("/api/chat/missed", base);
    url.searchParams.set("session", sessionId);
    url.searchParams.set("after", String(lastTs));
    if (mine) url.searchParams.set("mine", "1");
    window.fetch(url.toString(), { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        (body && Array.isArray(body.messages) ? body.messages : []).forEach(function (m) {
          if (typeof m.ts !== "number" || m.ts <= lastTs) return;
          if (m.from === "user") add({ from: "user", text: String(m.text || "") });
          else onBot(m);
        });
      }).catch(function () { /* tried again on the next connect */ })
      .then(function () { fetching = false; });
  }

  // A shop's signed-in customer on a device that has never chatted: their newest conversation continues here,
  // rebuilt from the server (their words and the replies), before the socket joins it.
  var resuming = null;
  if (token && !sessionId && window.fetch) {
    resuming = window.fetch(new URL("/api/chat/resume", base).toString(), {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (body && typeof body.session === "string" && body.session) {
        sessionId = body.session;
        save("session", sessionId);
        lastTs = 0;
        fetchMissed(true);
      }
    }).catch(function () { /* a new conversation, then */ }).then(function () { resuming = null; });
  }

  function onBot(data) {
    if (!data || typeof data !== "object") return;
    seen(data.ts);
    var custom = data.custom && typeof data.custom === "object" ? data.custom : data;
    if (custom.topup_takeover && typeof custom.topup_takeover === "object") {
      setAgent(custom.topup_takeover.agent);
      return;
    }
    var text = typeof data.text === "string" ? data.text : "";
    var raw = Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [];
    var buttons = raw.filter(function (b) {
      return b && b.title !== undefined && b.payload !== undefined;
    }).map(function (b) {
      return { title: String(b.title), payload: String(b.payload) };
    });
    // An image comes only from a person (action_deliver_agent_messages): {attachment: {type: image, payload: {src}}}.
    var image = data.attachment && data.attachment.type === "image" && data.attachment.payload
      ? data.attachment.payload.src : data.image;
    image = imageUrl(image) ? image : null;
    if (!text && !buttons.length && !image) return;
    hideTyping();
    if (image) add({ from: "agent", image: image });
    if (text || buttons.length) {
      add({ from: text.indexOf(AGENT_PREFIX) === 0 ? "agent" : "bot", text: text, buttons: buttons });
    }
    if (!looking()) setUnread(unreadCount + 1);
    else markRead();
    if (commentPending !== null && text) showComment();
  }

  // ---- unread, read, presence ------------------------------------------------------------------------------------
  // Unread: messages that came while the window was closed or the tab hidden, on the launcher and in the tab
  // title. Read: the server time of the newest message shown while the customer could see it (the agent's ✓).
  var unreadCount = Number(load("unread", 0)) || 0;
  var readTs = 0;
  var baseTitle = document.title;
  function looking() {
    return (pageMode || root.classList.contains("tkf-open")) && document.visibilityState !== "hidden";
  }
  function setUnread(n) {
    unreadCount = Math.max(0, n);
    save("unread", unreadCount);
    unread.hidden = !unreadCount || pageMode;
    unread.textContent = unreadCount > 99 ? "99+" : String(unreadCount);
    launcher.setAttribute("aria-label", unreadCount ? "打开在线客服，" + unreadCount + " 条新消息" : "打开在线客服");
    document.title = unreadCount && document.visibilityState === "hidden" ? "(" + unreadCount + ") " + baseTitle
      : baseTitle;
  }
  function markRead() {
    if (unreadCount) setUnread(0);
    if (lastTs > readTs) {
      readTs = lastTs;
      schedulePresence(0);
    }
  }
  // Closing the page says so at once: the agent does not see 客户在线 for another 45 s.
  window.addEventListener("pagehide", function () {
    if (!sessionId || !navigator.sendBeacon) return;
    var body = new Blob([JSON.stringify({ session: sessionId, leaving: true })], { type: "application/json" });
    navigator.sendBeacon(new URL("/api/chat/presence", base).toString(), body);
  });
  document.addEventListener("visibilitychange", function () {
    if (looking()) markRead();
    else setUnread(unreadCount);
  });

  var typingSent = 0;
  var typingNow = false;
  var presenceTimer = null;
  var PRESENCE_MS = 15000;
  var PRESENCE_AGENT_MS = 1500; // while a person holds the chat: their typing shows within that
  function schedulePresence(delay) {
    clearTimeout(presenceTimer);
    if (!sessionId || !window.fetch) return;
    presenceTimer = setTimeout(reportPresence, delay === undefined ? (agent ? PRESENCE_AGENT_MS : PRESENCE_MS)
      : delay);
  }
  function reportPresence() {
    if (document.visibilityState === "hidden" && !agent) return schedulePresence();
    var body = { session: sessionId, typing: typingNow };
    if (readTs) body.read_ts = readTs;
    window.fetch(new URL("/api/chat/presence", base).toString(), {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (state) {
      if (agent && state) agentTyping(!!state.agent_typing);
    }).catch(function () { /* the next beat tries again */ }).then(function () { schedulePresence(); });
  }
  function agentTyping(on) {
    if (on && !typing.parentNode) {
      log.appendChild(typing);
      log.scrollTop = log.scrollHeight;
    } else if (!on && !typingTimer) typing.remove();
  }
  function customerTyping(on) {
    var now = Date.now();
    if (on === typingNow && (!on || now - typingSent < 2500)) return;
    typingNow = on;
    typingSent = now;
    schedulePresence(0);
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
    typingNow = false;
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
  input.addEventListener("input", function () {
    autosize();
    customerTyping(input.value.trim() !== "");
  });
  input.addEventListener("blur", function () { customerTyping(false); });

  function open() {
    root.classList.add("tkf-open");
    markRead();
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
    setAgent(agent);
    setUnread(unreadCount);
    render();
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(storeKey + ":open") === "1"; } catch (e) { /* ignore */ }
    if (pageMode || wasOpen) open();
    else if (history.length) ready(connect); // keep listening so a person's reply is not missed
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
