/* 客服工作台 · the agent's tools: 快捷回复 (canned replies: picker, /shortcut + Tab, managed by agents), 内部备注
   (private notes), 转给同事 / 放回队列 (transfer, release), new-ticket alerts (tone, tab title count, desktop
   notification), keyboard shortcuts (? lists them), and the open ticket and drafts kept across a reload.
   It works through window.ConsoleApp (console.js) and fills the bar console-ticket.js leaves above the reply box.
   Every text from a customer or a colleague goes on the page with textContent, never as HTML. */
(function () {
  "use strict";

  var STORE = "topup-console:";
  var TITLE = document.title;
  var DRAFT_DAYS = 7;
  var PLACEHOLDER = /\{(订单号|工单号|客服|金额|商品)\}/;
  var SHORTCUT_TYPED = /(^|\s)\/([a-z0-9]{1,32})$/i;
  var DEFAULTS = { sound: true, title: true, desktop: false };

  function A() { return window.ConsoleApp; }
  var $ = window.TopupDom.$, el = window.TopupDom.el; // web/static/dom.js
  function button(text, className, onClick) {
    var b = el("button", className || "secondary", text);
    b.type = "button";
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }
  function field(labelText, control, id) {
    var wrap = el("div", "form-field");
    var lab = el("label", "", labelText);
    control.id = id;
    lab.htmlFor = id;
    wrap.appendChild(lab);
    wrap.appendChild(control);
    return wrap;
  }
  function signedIn() { return !!(A() && A().me()); }
  function current() { return A() && A().current(); }
  function notice(text, kind) { if (window.TicketView) window.TicketView.notice(text, kind); }

  // ---- storage, per agent ---------------------------------------------------------------------------------------
  function key(name) { var me = A() && A().me(); return STORE + (me ? me.username : "-") + ":" + name; }
  function load(name, fallback) {
    try {
      var raw = localStorage.getItem(key(name));
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return fallback; }
  }
  function save(name, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem(key(name));
      else localStorage.setItem(key(name), JSON.stringify(value));
    } catch (e) { /* private mode or full: the tools still work, they just forget */ }
  }

  // ---- dialogs: modal, labelled, focus kept inside and given back to the opener ---------------------------------
  var FOCUSABLE = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), " +
    "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

  function focusables(root) {
    return Array.prototype.filter.call(root.querySelectorAll(FOCUSABLE), function (n) {
      return n.offsetWidth || n.offsetHeight || n.getClientRects().length;
    });
  }

  function openDialog(id, title, build, opener) {
    closeDialogs();
    var back = opener || document.activeElement;
    var dlg = el("dialog", "tool-dialog");
    dlg.id = id;
    dlg.setAttribute("aria-modal", "true");
    dlg.setAttribute("aria-labelledby", id + "-title");
    var head = el("div", "dialog-head");
    var h = el("h2", "dialog-title", title);
    h.id = id + "-title";
    head.appendChild(h);
    var x = button("×", "dialog-close");
    x.setAttribute("aria-label", "关闭");
    head.appendChild(x);
    dlg.appendChild(head);
    var body = el("div", "dialog-body");
    dlg.appendChild(body);
    var focusAfter = null;
    function close(target) {
      focusAfter = target || null;
      if (dlg.open) dlg.close();
    }
    x.addEventListener("click", function () { close(); });
    dlg.addEventListener("keydown", function (e) {
      if (e.key !== "Tab") return;
      var items = focusables(dlg);
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (e.shiftKey && (document.activeElement === first || !dlg.contains(document.activeElement))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    });
    dlg.addEventListener("close", function () {
      dlg.remove();
      var target = focusAfter || back;
      if (target && document.contains(target) && typeof target.focus === "function") target.focus();
    });
    build(body, close);
    document.body.appendChild(dlg);
    dlg.showModal();
    var first = dlg.querySelector("[data-autofocus]") || focusables(body)[0] || x;
    first.focus();
    return dlg;
  }

  function anyDialog() { return !!document.querySelector("dialog.tool-dialog[open]"); }
  function closeDialogs() {
    Array.prototype.forEach.call(document.querySelectorAll("dialog.tool-dialog"), function (d) {
      if (d.open) d.close(); else d.remove();
    });
  }

  function errorLine() {
    var p = el("p", "dialog-error");
    p.setAttribute("role", "alert");
    p.hidden = true;
    p.say = function (text) { p.textContent = text || ""; p.hidden = !text; };
    return p;
  }

  // A tool's POST on the open ticket: a 502 means the change stands but the customer has not heard yet.
  function post(path, body, error) {
    var ticketNo = current().ticket.ticket_no;
    return A().api("POST", "/api/tickets/" + encodeURIComponent(ticketNo) + path, body).then(function (data) {
      return { ok: true, data: data };
    }, function (err) {
      if (err.status === 502) return { ok: true, data: err.data, warning: err.message };
      if (err.status !== 401) error.say(err.message);
      return { ok: false };
    }).then(function (result) {
      var cur = current();
      if (result.ok && cur && cur.ticket.ticket_no === ticketNo) A().openTicket(ticketNo, true);
      return result;
    });
  }

  // ---- the bar above the reply box (console-ticket.js calls this while it renders the case) -------------------
  function toolButton(text, keys, hint, onClick) {
    var b = button(text, "tool-btn", function () { onClick(b); });
    b.setAttribute("aria-keyshortcuts", keys);
    b.title = hint;
    return b;
  }

  function bar(node, t, me) {
    var mine = t.status === "in_progress" && t.details.assigned_agent === me.username;
    if (mine) node.appendChild(toolButton("快捷回复", "Control+/", "快捷键 Ctrl+/，或在回复框输入 /快捷键 再按 Tab", openPicker));
    node.appendChild(toolButton("内部备注", "N", "快捷键 N · 只有同事能看到", openNote));
    if (mine) {
      node.appendChild(toolButton("转给同事", "T", "快捷键 T", openTransfer));
      node.appendChild(toolButton("放回队列", "", "让其他同事接手", openRelease));
    }
    var hint = el("span", "tools-hint");
    hint.id = "tools-hint";
    hint.setAttribute("aria-live", "polite");
    node.appendChild(hint);
  }
  function hint(text) { var h = $("tools-hint"); if (h) h.textContent = text || ""; }

  // ---- canned replies -----------------------------------------------------------------------------------------
  var canned = { list: [], at: 0 };

  function loadCanned(force) {
    if (!force && Date.now() - canned.at < 30000) return Promise.resolve(canned.list);
    return A().api("GET", "/api/canned").then(function (data) {
      canned.list = data.replies || [];
      canned.at = Date.now();
      return canned.list;
    }, function () { return canned.list; });
  }
  function byShortcut(shortcut) {
    return canned.list.filter(function (r) { return r.shortcut === shortcut; })[0] || null;
  }

  // {订单号} and friends from the open case; what the case does not know stays, selected, for the agent to type.
  function fill(text) {
    var cur = current(), t = cur && cur.ticket, me = A().me();
    var order = (cur && cur.current_order) || (t && t.details.order) || {};
    var values = {
      "订单号": t && t.order_no, "工单号": t && t.ticket_no, "客服": me && (me.display_name || me.username),
      "金额": order.amount_cents !== undefined && order.amount_cents !== null ? window.ConsoleLabels.yuan(order.amount_cents) : "",
      "商品": order.product_name
    };
    return text.replace(new RegExp(PLACEHOLDER.source, "g"), function (all, name) {
      return values[name] ? String(values[name]) : all;
    });
  }

  function insert(box, text, from, to) {
    box.focus();
    box.setRangeText(text, from, to, "end");
    var left = PLACEHOLDER.exec(box.value.slice(from, from + text.length));
    if (left) box.setSelectionRange(from + left.index, from + left.index + left[0].length);
    box.dispatchEvent(new Event("input", { bubbles: true }));
    hint(left ? "还有 " + left[0] + " 需要填写" : "");
  }

  function expandShortcut(e) {
    var box = e.target, end = box.selectionStart;
    if (end !== box.selectionEnd) return;
    var typed = SHORTCUT_TYPED.exec(box.value.slice(0, end));
    if (!typed) return;
    e.preventDefault(); // the agent typed a shortcut: Tab inserts, it does not leave the box
    var reply = byShortcut(typed[2].toLowerCase());
    if (!reply) return hint("没有 /" + typed[2] + " 这个快捷键，按 Ctrl+/ 查看全部快捷回复");
    insert(box, fill(reply.text), end - typed[2].length - 1, end);
  }

  function shortcutHint(box) {
    var typed = SHORTCUT_TYPED.exec(box.value.slice(0, box.selectionStart));
    if (!typed) return hint("");
    var reply = byShortcut(typed[2].toLowerCase());
    hint(reply ? "按 Tab 插入「" + reply.title + "」" : "");
  }

  function openPicker(opener) {
    var box = $("reply-text");
    if (!box) return notice("接手工单后才能插入快捷回复", "error");
    var from = box.selectionStart, to = box.selectionEnd;
    openDialog("canned-picker", "快捷回复", function (body, close) {
      var search = el("input", "dialog-input");
      search.type = "search";
      search.setAttribute("data-autofocus", "");
      search.placeholder = "输入标题、内容或快捷键筛选";
      body.appendChild(field("搜索快捷回复", search, "canned-search"));
      var list = el("ul", "canned-list");
      list.setAttribute("aria-label", "快捷回复列表");
      body.appendChild(list);
      var empty = el("p", "tool-muted");
      body.appendChild(empty);
      var foot = el("div", "dialog-actions");
      foot.appendChild(button("管理快捷回复", "secondary", function () { openManage(opener); }));
      body.appendChild(foot);
      function pick(reply) {
        close(box);
        insert(box, fill(reply.text), from, to);
      }
      function draw() {
        var q = search.value.trim().toLowerCase();
        var shown = canned.list.filter(function (r) {
          return !q || (r.title + " " + r.text + " /" + r.shortcut).toLowerCase().indexOf(q) >= 0;
        });
        list.textContent = "";
        shown.forEach(function (r) {
          var li = el("li");
          var b = button("", "canned-item", function () { pick(r); });
          var top = el("span", "canned-top");
          top.appendChild(el("span", "canned-title", r.title));
          if (r.shortcut) top.appendChild(el("kbd", "canned-key", "/" + r.shortcut));
          b.appendChild(top);
          b.appendChild(el("span", "canned-text", r.text));
          li.appendChild(b);
          list.appendChild(li);
        });
        empty.textContent = canned.list.length ? (shown.length ? "" : "没有符合的快捷回复")
          : "还没有快捷回复。点「管理快捷回复」添加第一条，例如常用的开场白或结束语。";
        empty.hidden = !empty.textContent;
      }
      search.addEventListener("input", draw);
      search.addEventListener("keydown", function (e) {
        var first = list.querySelector("button");
        if (e.key === "Enter" && first) { e.preventDefault(); first.click(); }
        if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
      });
      list.addEventListener("keydown", function (e) {
        if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
        var items = Array.prototype.slice.call(list.querySelectorAll("button"));
        var i = items.indexOf(document.activeElement) + (e.key === "ArrowDown" ? 1 : -1);
        e.preventDefault();
        (i < 0 ? search : items[Math.min(i, items.length - 1)]).focus();
      });
      draw();
      loadCanned(true).then(draw);
    }, opener);
  }

  function openManage(opener) {
    openDialog("canned-manage", "管理快捷回复", function (body) {
      var editing = null;
      var list = el("ul", "manage-list");
      list.setAttribute("aria-label", "已有的快捷回复");
      body.appendChild(list);
      var form = el("form", "manage-form");
      form.noValidate = true;
      var heading = el("h3", "sub-title", "新增快捷回复");
      form.appendChild(heading);
      var title = el("input", "dialog-input");
      title.maxLength = 64;
      title.setAttribute("data-autofocus", "");
      form.appendChild(field("标题（64 字以内）", title, "canned-title"));
      var shortcut = el("input", "dialog-input mono");
      shortcut.maxLength = 33;
      shortcut.autocapitalize = "off";
      shortcut.spellcheck = false;
      shortcut.placeholder = "可不填，例如 sd（稍等）：在回复框输入 /sd 再按 Tab";
      form.appendChild(field("快捷键（小写字母和数字）", shortcut, "canned-shortcut"));
      var text = el("textarea", "dialog-input");
      text.maxLength = 2000;
      text.rows = 4;
      form.appendChild(field("内容（2000 字以内）", text, "canned-text"));
      form.appendChild(el("p", "tool-muted small", "可以写 {订单号} {工单号} {客服} {金额} {商品}，插入时按当前工单自动填好。"));
      var error = errorLine();
      form.appendChild(error);
      var actions = el("div", "dialog-actions");
      var saveBtn = el("button", "primary", "保存");
      saveBtn.type = "submit";
      actions.appendChild(saveBtn);
      var reset = button("新增一条", "secondary", function () { edit(null); });
      actions.appendChild(reset);
      form.appendChild(actions);
      body.appendChild(form);

      function edit(reply) {
        editing = reply;
        heading.textContent = reply ? "编辑快捷回复" : "新增快捷回复";
        title.value = reply ? reply.title : "";
        shortcut.value = reply ? reply.shortcut : "";
        text.value = reply ? reply.text : "";
        error.say("");
        title.focus();
      }
      function draw() {
        list.textContent = "";
        if (!canned.list.length) list.appendChild(el("li", "tool-muted", "还没有快捷回复，在下面添加第一条。"));
        canned.list.forEach(function (r) {
          var li = el("li", "manage-row");
          var info = el("div", "manage-info");
          var top = el("span", "canned-top");
          top.appendChild(el("span", "canned-title", r.title));
          if (r.shortcut) top.appendChild(el("kbd", "canned-key", "/" + r.shortcut));
          info.appendChild(top);
          info.appendChild(el("span", "canned-text", r.text));
          li.appendChild(info);
          var change = button("编辑", "text-button", function () { edit(r); });
          change.setAttribute("aria-label", "编辑「" + r.title + "」");
          li.appendChild(change);
          var del = button("删除", "text-button danger", function () {
            if (del.getAttribute("data-confirm") !== "1") {
              del.setAttribute("data-confirm", "1");
              del.textContent = "确定删除？";
              setTimeout(function () { del.removeAttribute("data-confirm"); del.textContent = "删除"; }, 5000);
              return;
            }
            A().api("DELETE", "/api/canned/" + r.id).catch(function (err) { error.say(err.message); })
              .then(function () { return loadCanned(true); }).then(function () {
                if (editing && editing.id === r.id) edit(null);
                draw();
                title.focus();
              });
          });
          del.setAttribute("aria-label", "删除「" + r.title + "」");
          li.appendChild(del);
          list.appendChild(li);
        });
      }
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var payload = { title: title.value, text: text.value, shortcut: shortcut.value };
        if (!payload.title.trim()) { error.say("请给这条快捷回复起个标题"); return title.focus(); }
        if (!payload.text.trim()) { error.say("请填写快捷回复的内容"); return text.focus(); }
        saveBtn.disabled = true;
        var request = editing ? A().api("PUT", "/api/canned/" + editing.id, payload) : A().api("POST", "/api/canned", payload);
        request.then(function () {
          return loadCanned(true).then(function () { draw(); edit(null); hint("快捷回复已保存"); });
        }, function (err) {
          error.say(err.message);
          var bad = err.data && { title: title, text: text, shortcut: shortcut }[err.data.field];
          if (bad) bad.focus();
        }).then(function () { saveBtn.disabled = false; });
      });
      draw();
      loadCanned(true).then(draw);
    }, opener);
  }

  // ---- notes, transfer, release ---------------------------------------------------------------------------------
  function openNote(opener) {
    if (!current()) return;
    openDialog("note-dialog", "内部备注", function (body, close) {
      body.appendChild(el("p", "tool-muted", "只有同事能看到，客户看不到。"));
      var text = el("textarea", "dialog-input note-input");
      text.maxLength = 2000;
      text.rows = 4;
      text.setAttribute("data-autofocus", "");
      text.placeholder = "例如：客户说号码可能填错了，已让他核对（Ctrl+Enter 保存）";
      body.appendChild(field("备注内容", text, "note-text"));
      var error = errorLine();
      body.appendChild(error);
      var actions = el("div", "dialog-actions");
      var saveBtn = button("保存备注", "primary", submit);
      actions.appendChild(saveBtn);
      actions.appendChild(button("取消", "secondary", function () { close(); }));
      body.appendChild(actions);
      text.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
      });
      function submit() {
        var value = text.value.trim();
        if (!value) { error.say("请先写下备注内容"); return text.focus(); }
        saveBtn.disabled = true;
        post("/notes", { text: value }, error).then(function (r) {
          saveBtn.disabled = false;
          if (r.ok) { close(); notice("内部备注已保存（客户看不到）", "info"); }
        });
      }
    }, opener);
  }

  function openTransfer(opener) {
    var cur = current();
    if (!cur || cur.ticket.details.assigned_agent !== A().me().username) return;
    openDialog("transfer-dialog", "转给同事", function (body, close) {
      body.appendChild(el("p", "tool-muted", "选一位同事接手这个工单，客户会看到新客服的名字。"));
      var group = el("fieldset", "agent-choices");
      group.appendChild(el("legend", "", "转给谁"));
      group.appendChild(el("p", "tool-muted", "正在读取同事名单…"));
      body.appendChild(group);
      var error = errorLine();
      body.appendChild(error);
      var actions = el("div", "dialog-actions");
      var go = button("确定转交", "primary", submit);
      go.disabled = true;
      actions.appendChild(go);
      actions.appendChild(button("取消", "secondary", function () { close(); }));
      body.appendChild(actions);
      A().api("GET", "/api/agents").then(function (data) {
        group.textContent = "";
        group.appendChild(el("legend", "", "转给谁"));
        var others = (data.agents || []).filter(function (a) { return !a.me; });
        if (!others.length) group.appendChild(el("p", "tool-muted", "还没有其他同事的账号"));
        others.forEach(function (a, i) {
          var row = el("label", "agent-choice");
          var radio = el("input");
          radio.type = "radio";
          radio.name = "transfer-to";
          radio.value = a.username;
          if (i === 0) radio.setAttribute("data-autofocus", "");
          radio.addEventListener("change", function () { go.disabled = false; });
          row.appendChild(radio);
          row.appendChild(el("span", "agent-name", a.display_name + "（" + a.username + "）"));
          row.appendChild(el("span", a.online ? "agent-online" : "agent-offline", a.online ? "在线" : "离线"));
          group.appendChild(row);
        });
        var first = group.querySelector("input");
        if (first) first.focus();
      }, function (err) { error.say(err.message); });
      function submit() {
        var chosen = group.querySelector("input:checked");
        if (!chosen) return error.say("请选择要转给哪位同事");
        go.disabled = true;
        post("/transfer", { to: chosen.value }, error).then(function (r) {
          go.disabled = false;
          if (!r.ok) return;
          close();
          var name = r.data && r.data.ticket ? r.data.ticket.details.assigned_agent_name : chosen.value;
          notice(r.warning || "工单已转给" + name, r.warning ? "warn" : "info");
        });
      }
    }, opener);
  }

  function openRelease(opener) {
    var cur = current();
    if (!cur || cur.ticket.details.assigned_agent !== A().me().username) return;
    openDialog("release-dialog", "放回队列", function (body, close) {
      body.appendChild(el("p", "", "工单会回到「待接手」，其他同事都可以接手。客户会收到提示：客服暂时离开，工单还在，下一位客服会接着处理。"));
      var error = errorLine();
      body.appendChild(error);
      var actions = el("div", "dialog-actions");
      var go = button("放回队列", "primary", function () {
        go.disabled = true;
        post("/release", {}, error).then(function (r) {
          go.disabled = false;
          if (!r.ok) return;
          close();
          notice(r.warning || "工单已放回队列", r.warning ? "warn" : "info");
        });
      });
      go.setAttribute("data-autofocus", "");
      actions.appendChild(go);
      actions.appendChild(button("取消", "secondary", function () { close(); }));
      body.appendChild(actions);
    }, opener);
  }

  // ---- new-ticket alerts ----------------------------------------------------------------------------------------
  var alerts = { primed: false, newest: 0, seen: {}, fired: 0, open: 0 };
  var audio = null;

  function settings() {
    var s = load("alerts", null) || {};
    return { sound: s.sound !== undefined ? !!s.sound : DEFAULTS.sound, title: s.title !== undefined ? !!s.title : DEFAULTS.title,
      desktop: !!s.desktop && "Notification" in window && Notification.permission === "granted" };
  }

  // Browsers start audio only after a click or a key: the context is made (or woken) on the agent's first one.
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);

  function tone() {
    if (!audio || audio.state !== "running") return false;
    var t0 = audio.currentTime;
    [[880, 0], [1320, 0.17]].forEach(function (p) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = p[0];
      gain.gain.setValueAtTime(0.0001, t0 + p[1]);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + p[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + p[1] + 0.15);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t0 + p[1]);
      osc.stop(t0 + p[1] + 0.16);
    });
    return true;
  }

  function showTitle() {
    document.title = signedIn() && settings().title && alerts.open > 0 ? "(" + alerts.open + ") " + TITLE : TITLE;
  }

  function desktop(n) {
    if (!settings().desktop || (document.visibilityState === "visible" && document.hasFocus())) return;
    var shown = new Notification("新工单 " + n.ticket_no, {
      body: (n.priority === "high" ? "高优先 · " : "") + "等待接手，点这里查看", tag: "topup-" + n.ticket_no
    });
    shown.onclick = function () { window.focus(); A().openTicket(n.ticket_no, false); shown.close(); };
  }

  // Only a ticket that arrives while the console is open alerts: the first snapshot after sign-in (or a reconnect,
  // which brings nothing newer) is where the console starts counting from.
  window.addEventListener("topup:queue", function (e) {
    var d = e.detail || {}, n = d.newest_open;
    alerts.open = d.open_count || 0;
    showTitle();
    var at = n ? new Date(n.created_at).getTime() : 0;
    if (!alerts.primed) { alerts.primed = true; alerts.newest = at; return; }
    if (!n || at <= alerts.newest || alerts.seen[n.ticket_no]) return;
    alerts.newest = at;
    alerts.seen[n.ticket_no] = true;
    alerts.fired += 1;
    if (settings().sound) tone();
    desktop(n);
  });

  function openSettings(opener) {
    openDialog("alert-dialog", "提醒设置", function (body) {
      body.appendChild(el("p", "tool-muted", "有新工单进来时怎么提醒您（只在这台电脑的浏览器里生效）。"));
      var s = load("alerts", null) || {};
      var error = errorLine();
      function toggle(name, text) {
        var row = el("label", "check-row");
        var box = el("input");
        box.type = "checkbox";
        box.id = "alert-" + name;
        box.checked = name === "desktop" ? settings().desktop : settings()[name];
        row.appendChild(box);
        row.appendChild(el("span", "", text));
        body.appendChild(row);
        box.addEventListener("change", function () {
          error.say("");
          if (name === "desktop" && box.checked) return askDesktop(box);
          s[name] = box.checked;
          save("alerts", s);
          if (name === "sound" && box.checked) { unlockAudio(); tone(); }
          showTitle();
        });
        return box;
      }
      toggle("sound", "声音提醒（响一声短促的提示音）").setAttribute("data-autofocus", "");
      toggle("title", "在标签页标题上显示待接手数量，例如 (3) 客服工作台");
      toggle("desktop", "桌面通知（浏览器不在前台时也能看到）");
      body.appendChild(error);
      function askDesktop(box) {
        if (!("Notification" in window)) { box.checked = false; return error.say("这个浏览器不支持桌面通知"); }
        Notification.requestPermission().then(function (answer) {
          var granted = answer === "granted";
          box.checked = granted;
          s.desktop = granted;
          save("alerts", s);
          if (!granted) error.say("浏览器没有允许通知：请在地址栏左边的网站设置里允许本站的通知，再勾选一次");
        });
      }
      var actions = el("div", "dialog-actions");
      actions.appendChild(button("试听提示音", "secondary", function () { unlockAudio(); setTimeout(tone, 50); }));
      body.appendChild(actions);
    }, opener);
  }

  // ---- keyboard shortcuts ---------------------------------------------------------------------------------------
  var SHORTCUTS = [
    ["?", "打开这张快捷键列表"], ["J / K", "下一个 / 上一个工单"], ["C", "接手当前工单"], ["R", "跳到回复框"],
    ["N", "写内部备注"], ["T", "转给同事"], ["/", "跳到工单搜索"], ["Ctrl + /", "打开快捷回复"],
    ["/快捷键 然后 Tab", "在回复框里插入那条快捷回复"], ["Enter 或 Ctrl + Enter", "在回复框里发送"],
    ["Shift + Enter", "在回复框里换行"], ["Esc", "关闭对话框"]
  ];

  function openHelp(opener) {
    openDialog("shortcut-dialog", "快捷键", function (body, close) {
      body.appendChild(el("p", "tool-muted", "在输入框里打字时，单个字母的快捷键不会触发。"));
      var table = el("table", "shortcut-table");
      var head = el("tr");
      var k = el("th", "", "按键"), w = el("th", "", "作用");
      k.scope = w.scope = "col";
      head.appendChild(k);
      head.appendChild(w);
      table.appendChild(head);
      SHORTCUTS.forEach(function (row) {
        var tr = el("tr");
        var key = el("td");
        key.appendChild(el("kbd", "", row[0]));
        tr.appendChild(key);
        tr.appendChild(el("td", "", row[1]));
        table.appendChild(tr);
      });
      body.appendChild(table);
      var actions = el("div", "dialog-actions");
      var ok = button("知道了", "primary", function () { close(); });
      ok.setAttribute("data-autofocus", "");
      actions.appendChild(ok);
      body.appendChild(actions);
    }, opener);
  }

  function typing(node) {
    return !!node && (node.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(node.tagName));
  }

  function move(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue-list [data-ticket]"));
    if (!rows.length) return;
    var cur = current(), no = cur && cur.ticket.ticket_no;
    var i = rows.map(function (r) { return r.getAttribute("data-ticket"); }).indexOf(no);
    var next = i < 0 ? rows[step > 0 ? 0 : rows.length - 1] : rows[i + step];
    if (!next) return;
    var target = next.matches("button, a") ? next : (next.querySelector("button") || next);
    target.click();
    target.focus();
    if (target.scrollIntoView) target.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.isComposing || e.keyCode === 229 || !signedIn()) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key === "/") {
      e.preventDefault();
      if (!anyDialog()) openPicker();
      return;
    }
    if (anyDialog()) return; // the dialog has the keyboard (Esc closes it)
    if (typing(e.target)) {
      if (e.target.id === "reply-text" && e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
        expandShortcut(e);
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    var handled = true;
    if (k === "?") openHelp();
    else if (k === "j") move(1);
    else if (k === "k") move(-1);
    else if (k === "c" && $("claim-btn") && !$("claim-btn").disabled) $("claim-btn").click();
    else if (k === "r" && $("reply-text")) $("reply-text").focus();
    else if (k === "n" && current()) openNote();
    else if (k === "t" && current()) openTransfer();
    else if (k === "/" && $("queue-search")) $("queue-search").focus();
    else handled = false;
    if (handled) e.preventDefault();
  });

  // ---- the open ticket and the drafts survive a reload ----------------------------------------------------------
  function hashTicket() {
    var m = /^#ticket=([A-Za-z0-9_-]{1,40})$/.exec(location.hash);
    return m ? m[1] : null;
  }
  function draftName(ticketNo) { return "draft:" + ticketNo; }

  document.addEventListener("input", function (e) {
    var id = e.target && e.target.id, cur = current();
    if ((id !== "reply-text" && id !== "resolve-text") || !cur) return;
    var name = draftName(cur.ticket.ticket_no);
    var d = load(name, null) || {};
    d[id === "reply-text" ? "reply" : "resolution"] = e.target.value;
    d.at = Date.now();
    save(name, d.reply || d.resolution ? d : null);
    if (id === "reply-text") shortcutHint(e.target);
  });
  document.addEventListener("focusin", function (e) {
    if (e.target && e.target.id === "reply-text") loadCanned(false);
  });

  window.addEventListener("topup:ticket-opened", function (e) {
    var t = e.detail.data.ticket, no = t.ticket_no;
    save("open", no);
    if (hashTicket() !== no) history.replaceState(null, "", location.pathname + location.search + "#ticket=" + no);
    if (t.status === "resolved") return save(draftName(no), null);
    var d = load(draftName(no), null);
    if (!d) return;
    var reply = $("reply-text"), resolution = $("resolve-text");
    if (reply && !reply.value && d.reply) reply.value = d.reply;
    if (resolution && !resolution.value && d.resolution) resolution.value = d.resolution;
  });

  window.addEventListener("hashchange", function () {
    var no = hashTicket(), cur = current();
    if (no && signedIn() && (!cur || cur.ticket.ticket_no !== no)) A().openTicket(no, false);
  });

  function pruneDrafts() {
    try {
      var prefix = key("draft:"), old = Date.now() - DRAFT_DAYS * 86400000;
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var name = localStorage.key(i);
        if (name && name.indexOf(prefix) === 0) {
          var d = JSON.parse(localStorage.getItem(name) || "null");
          if (!d || !d.at || d.at < old) localStorage.removeItem(name);
        }
      }
    } catch (e) { /* nothing to prune */ }
  }

  window.addEventListener("topup:signed-in", function () {
    alerts.primed = false;
    alerts.seen = {};
    pruneDrafts();
    loadCanned(true);
    var no = hashTicket() || load("open", null);
    if (!no) return;
    A().openTicket(no, true).then(function () {
      var cur = current();
      if (!cur || cur.ticket.ticket_no !== no) save("open", null); // gone (or never was): forget it
    });
  });

  window.addEventListener("topup:signed-out", function () {
    closeDialogs();
    alerts.primed = false;
    alerts.open = 0;
    document.title = TITLE;
  });

  $("alert-settings").addEventListener("click", function (e) { openSettings(e.currentTarget); });
  $("shortcut-help").addEventListener("click", function (e) { openHelp(e.currentTarget); });

  window.ConsoleTools = {
    bar: bar,
    alertsFired: function () { return alerts.fired; }, // for the browser tests: how many new-ticket alerts rang
    fill: fill
  };
})();
