/* 客服工作台: the queue. Tabs (待接手 / 我的 / 处理中 / 已解决) with their counts, search by ticket number, order
   number or phone tail, filters by priority, complaint and age, and one page of 50 at a time from the server
   (GET /api/tickets): the browser never holds the whole queue. The live stream only says that the queue changed
   (console.js passes each `queue` event to ConsoleQueue.changed); this file then re-reads the page it shows, and
   fires `topup:queue` on window with the event's data (open_count, newest_open...) for the new-ticket alerts.
   It works through window.ConsoleApp (console.js: api, openTicket, current, me) and starts on `topup:signed-in`.
   Customer words go on the page with textContent only. */
(function () {
  "use strict";

  var CONFIG = window.TOPUP_CONSOLE;
  var L = CONFIG.labels;
  var ZONE = CONFIG.zone;
  var TABS = ["open", "mine", "in_progress", "resolved"];
  var AGES = { active: ["10m", "30m", "2h"], resolved: ["today", "7d"] };
  var MIN_GAP_MS = 300; // however busy the queue, at most about three page reads a second per console
  var TYPING_MS = 250; // the search waits for a pause in typing
  var RETRY_MS = 3000;
  var STORE = "topup-console:queue";
  var EMPTY = {
    open: "暂时没有待接手的工单，喝口水歇一会儿吧",
    mine: "你手上没有处理中的工单",
    in_progress: "现在没有处理中的工单",
    resolved: "还没有已解决的工单"
  };

  var view = restore();
  var st = {
    on: false, offset: 0, version: null, loading: false, again: false, timer: null, typing: null, lastAt: 0,
    unread: {}, statuses: {}, selected: null, data: null, wantKey: null
  };

  // ---- helpers ------------------------------------------------------------------------------------------------
  var $ = window.TopupDom.$, el = window.TopupDom.el; // web/static/dom.js
  function label(map, key) { return key === null || key === undefined ? "—" : (map[key] || String(key)); }
  function app() { return window.ConsoleApp; }
  function me() { var who = app() && app().me(); return who ? who.username : null; }
  function yuan(cents) { return (cents / 100).toFixed(2).replace(/\.00$/, "") + " 元"; }
  function fmtTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d)) return "—";
    var day = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, month: "numeric", day: "numeric" });
    var time = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
    return (day.format(new Date(Date.now() + st.offset)) === day.format(d) ? "今天 " : day.format(d) + " ") + time.format(d);
  }
  function waited(iso) {
    var minutes = Math.max(0, Math.floor((Date.now() + st.offset - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return "等待不到 1 分钟";
    if (minutes < 60) return "等待 " + minutes + " 分钟";
    return "等待 " + Math.floor(minutes / 60) + " 小时 " + (minutes % 60) + " 分钟";
  }
  function agesFor(tab) { return tab === "resolved" ? AGES.resolved : AGES.active; }

  function restore() {
    var fresh = { tab: "open", q: "", priority: "", complaint: "", age: "", page: 1 };
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (saved && TABS.indexOf(saved.tab) >= 0) {
        Object.keys(fresh).forEach(function (k) { if (typeof saved[k] === typeof fresh[k]) fresh[k] = saved[k]; });
      }
    } catch (e) { /* a reload in a private window: start from the default view */ }
    if (agesFor(fresh.tab).indexOf(fresh.age) < 0) fresh.age = "";
    return fresh;
  }
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(view)); } catch (e) { /* not kept: no harm */ }
  }
  function filtered() { return !!(view.q || view.priority || view.complaint || view.age); }
  function key() { return JSON.stringify(view); }

  // ---- reading the page ---------------------------------------------------------------------------------------
  function url() {
    var params = ["tab", "q", "priority", "complaint", "age", "page"].filter(function (k) { return view[k] !== ""; })
      .map(function (k) { return k + "=" + encodeURIComponent(view[k]); });
    var cur = app().current();
    if (cur) params.push("current=" + encodeURIComponent(cur.ticket.ticket_no));
    return "/api/tickets?" + params.join("&");
  }

  function schedule(now) {
    if (!st.on) return;
    if (st.loading) { st.again = true; return; }
    clearTimeout(st.timer);
    var wait = now ? 0 : Math.max(0, st.lastAt + MIN_GAP_MS - Date.now());
    st.timer = setTimeout(load, wait);
  }

  function load() {
    if (!st.on) return;
    st.loading = true;
    st.again = false;
    st.lastAt = Date.now();
    st.wantKey = key();
    var asked = st.wantKey;
    $("queue-list").setAttribute("aria-busy", "true");
    app().api("GET", url()).then(function (data) {
      if (st.on && asked === key()) render(data);
      else st.again = true; // the agent changed the view meanwhile: read again
      showError("");
    }, function (err) {
      if (err.status === 401) return; // console.js signs out
      showError("工单列表没能刷新：" + err.message + "，稍后自动重试");
      clearTimeout(st.timer);
      st.timer = setTimeout(function () { schedule(true); }, RETRY_MS);
    }).then(function () {
      st.loading = false;
      $("queue-list").removeAttribute("aria-busy");
      if (st.again) schedule(false);
    });
  }

  function showError(text) {
    $("queue-error").textContent = text;
    $("queue-error").hidden = !text;
  }

  // ---- rendering ----------------------------------------------------------------------------------------------
  function render(data) {
    st.data = data;
    st.offset = new Date(data.now).getTime() - Date.now();
    if (view.page !== data.page) { view.page = data.page; save(); } // the queue shrank under the agent
    renderTabs(data.counts);
    var list = $("queue-list");
    var focused = document.activeElement && list.contains(document.activeElement) ?
      document.activeElement.getAttribute("data-ticket") : null;
    list.textContent = "";
    data.tickets.forEach(function (t) {
      st.statuses[t.ticket_no] = t.status;
      var item = el("li", "queue-item");
      item.appendChild(row(t));
      list.appendChild(item);
    });
    if (focused) {
      var again = list.querySelector('.queue-row[data-ticket="' + CSS.escape(focused) + '"]');
      if (again) again.focus({ preventScroll: true });
    }
    renderEmpty(data);
    renderPager(data);
    checkCurrent(data.current);
  }

  function renderTabs(counts) {
    TABS.forEach(function (tab) {
      var button = $("queue-tab-" + tab);
      var on = tab === view.tab;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      if (counts) button.querySelector(".tab-count").textContent = String(counts[tab]);
    });
    $("queue-panel").setAttribute("aria-labelledby", "queue-tab-" + view.tab);
  }

  function renderEmpty(data) {
    var box = $("queue-empty");
    box.textContent = "";
    box.hidden = data.tickets.length > 0;
    if (!box.hidden) {
      box.appendChild(el("p", null, filtered() ? "没有符合条件的工单" : EMPTY[view.tab]));
      // A search finds a ticket in another tab: say where, one click away.
      TABS.filter(function (t) { return t !== view.tab && data.counts[t] > 0 && filtered(); }).forEach(function (t) {
        var go = el("button", "queue-elsewhere", "「" + L.queueTab[t] + "」里有 " + data.counts[t] + " 个");
        go.type = "button";
        go.addEventListener("click", function () { setTab(t, true); });
        box.appendChild(go);
      });
    }
    $("queue-clear").hidden = !filtered();
  }

  function renderPager(data) {
    $("queue-range").textContent = data.total ? "第 " + data.first + "–" + data.last + " 个，共 " + data.total + " 个" : "";
    $("queue-prev").disabled = data.page <= 1;
    $("queue-next").disabled = data.page >= data.pages;
    $("queue-prev").hidden = $("queue-next").hidden = data.pages <= 1;
  }

  function statusText(t) {
    var who = t.assigned_agent ? " · " + (t.assigned_agent_name || t.assigned_agent) : "";
    return label(L.ticketStatus, t.status) + who;
  }
  function timeText(t) {
    return t.status === "resolved" ? "解决于 " + fmtTime(t.resolved_at || t.updated_at) : waited(t.created_at);
  }
  // The case summary without what the row already shows (its priority and complaint), then the customer's words.
  function detail(t) {
    var lead = label(L.priority, t.priority) + " · " + label(L.complaint, t.complaint) + " · ";
    var text = t.summary && t.summary.indexOf(lead) === 0 ? t.summary.slice(lead.length) : (t.summary || "");
    return t.customer_words ? (text ? text + " · " : "") + "“" + t.customer_words + "”" : text;
  }

  // Three lines that tell fifty look-alike tickets apart: number, priority, markers, waiting time; order number,
  // phone tail, amount; complaint, what the case is about, status and holder.
  function row(t) {
    var button = el("button", "queue-row" + (t.ticket_no === st.selected ? " selected" : ""));
    button.type = "button";
    button.setAttribute("data-ticket", t.ticket_no);
    if (t.ticket_no === st.selected) button.setAttribute("aria-current", "true");
    var top = el("span", "row-top");
    top.appendChild(el("span", "row-ticket", t.ticket_no));
    top.appendChild(el("span", "prio prio-" + t.priority, label(L.priority, t.priority)));
    if (t.awaiting_reply && t.status !== "resolved") top.appendChild(el("span", "row-awaiting", "待回复"));
    if (st.unread[t.ticket_no]) top.appendChild(el("span", "row-unread", "新消息"));
    var time = el("span", "row-wait", timeText(t));
    top.appendChild(time);
    button.appendChild(top);
    var line = el("span", "row-line");
    line.appendChild(el("span", "row-order", t.order_no || "未提供订单号"));
    if (t.phone_tail) line.appendChild(el("span", "row-phone", "尾号 " + t.phone_tail));
    line.appendChild(el("span", "row-amount", t.amount_cents !== null && t.amount_cents !== undefined ?
      yuan(t.amount_cents) : "金额未知"));
    button.appendChild(line);
    var mid = el("span", "row-mid");
    mid.appendChild(el("span", "row-complaint", label(L.complaint, t.complaint)));
    var summary = el("span", "row-summary", detail(t));
    summary.title = summary.textContent;
    mid.appendChild(summary);
    mid.appendChild(el("span", "row-status status-" + t.status, statusText(t)));
    button.appendChild(mid);
    // The row's visible text is its accessible name (WCAG 2.5.3: a spoken name must contain what is seen); the
    // summary is part of it, so it is not a description too (it would be read twice).
    button.addEventListener("click", function () { app().openTicket(t.ticket_no, false); });
    return button;
  }

  function checkCurrent(mark) {
    // The case view follows its ticket wherever it is: the page read carries the open ticket's status and time.
    var cur = app().current();
    var t = cur && cur.ticket;
    if (!t || !mark || mark.ticket_no !== t.ticket_no) return;
    if (mark.updated_at !== t.details.updated_at || mark.status !== t.status) app().openTicket(t.ticket_no, true);
  }

  // Waiting times move on between reads.
  setInterval(function () {
    if (!st.on || !st.data) return;
    var rows = {};
    st.data.tickets.forEach(function (t) { rows[t.ticket_no] = t; });
    Array.prototype.forEach.call(document.querySelectorAll(".queue-row"), function (button) {
      var t = rows[button.getAttribute("data-ticket")];
      if (!t || t.status === "resolved") return;
      button.querySelector(".row-wait").textContent = waited(t.created_at);
    });
  }, 15000);

  // ---- the controls -------------------------------------------------------------------------------------------
  function setTab(tab, focus) {
    view.tab = tab;
    view.page = 1;
    if (agesFor(tab).indexOf(view.age) < 0) view.age = "";
    fillAges();
    save();
    renderTabs(null);
    if (focus) $("queue-tab-" + tab).focus();
    schedule(true);
  }

  function option(select, value, text) {
    var node = el("option", null, text);
    node.value = value;
    select.appendChild(node);
  }

  function fillAges() {
    var select = $("queue-age");
    select.textContent = "";
    option(select, "", "不限");
    agesFor(view.tab).forEach(function (a) { option(select, a, L.queueAge[a]); });
    select.value = view.age;
    $("queue-age-label").textContent = view.tab === "resolved" ? "解决时间" : "等待时间";
  }

  function build() {
    var tabs = $("queue-tabs");
    TABS.forEach(function (tab) {
      var button = el("button", "queue-tab");
      button.type = "button";
      button.id = "queue-tab-" + tab;
      button.setAttribute("role", "tab");
      button.setAttribute("aria-controls", "queue-panel");
      button.appendChild(el("span", "tab-name", L.queueTab[tab]));
      button.appendChild(el("span", "tab-count", ""));
      button.addEventListener("click", function () { if (tab !== view.tab) setTab(tab, false); });
      tabs.appendChild(button);
    });
    tabs.addEventListener("keydown", function (e) { // the arrow keys move along the tabs (WAI-ARIA tabs pattern)
      var at = TABS.indexOf(view.tab);
      var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      setTab(TABS[(to + TABS.length) % TABS.length], true);
    });
    var priority = $("queue-priority");
    option(priority, "", "全部");
    Object.keys(L.priority).sort().forEach(function (p) { option(priority, p, L.priority[p]); }); // high, normal
    var complaint = $("queue-complaint");
    option(complaint, "", "全部");
    Object.keys(L.complaint).forEach(function (c) { option(complaint, c, L.complaint[c]); });
    [["queue-priority", "priority"], ["queue-complaint", "complaint"], ["queue-age", "age"]].forEach(function (pair) {
      $(pair[0]).addEventListener("change", function () {
        view[pair[1]] = $(pair[0]).value;
        view.page = 1;
        save();
        schedule(true);
      });
    });
    var search = $("queue-search");
    search.addEventListener("input", function () {
      clearTimeout(st.typing);
      st.typing = setTimeout(searchNow, TYPING_MS);
    });
    $("queue-search-form").addEventListener("submit", function (e) { e.preventDefault(); searchNow(); });
    $("queue-clear").addEventListener("click", function () {
      view.q = view.priority = view.complaint = view.age = "";
      view.page = 1;
      syncControls();
      save();
      schedule(true);
      search.focus();
    });
    $("queue-prev").addEventListener("click", function () { turn(-1); });
    $("queue-next").addEventListener("click", function () { turn(1); });
  }

  function searchNow() {
    clearTimeout(st.typing);
    var q = $("queue-search").value.trim();
    if (q === view.q) return;
    view.q = q;
    view.page = 1;
    save();
    schedule(true);
  }

  function turn(by) {
    view.page = Math.max(1, view.page + by);
    save();
    schedule(true);
    $("queue-list").scrollTop = 0;
  }

  function syncControls() {
    $("queue-search").value = view.q;
    $("queue-priority").value = view.priority;
    $("queue-complaint").value = view.complaint;
    fillAges();
    renderTabs(null);
  }

  // ---- what console.js tells this file ------------------------------------------------------------------------
  function changed(data) {
    window.dispatchEvent(new CustomEvent("topup:queue", { detail: data }));
    if (!st.on || !data || data.version === st.version) return;
    st.version = data.version;
    schedule(false);
  }

  function markUnread(ticketNo) {
    st.unread[ticketNo] = true;
    var button = document.querySelector('.queue-row[data-ticket="' + CSS.escape(ticketNo) + '"]');
    var t = button && st.data && st.data.tickets.filter(function (r) { return r.ticket_no === ticketNo; })[0];
    if (!t || button.querySelector(".row-unread")) return;
    button.querySelector(".row-top").appendChild(el("span", "row-unread", "新消息"));
  }

  function selected(ticketNo, ticket) {
    st.selected = ticketNo;
    delete st.unread[ticketNo];
    Array.prototype.forEach.call(document.querySelectorAll(".queue-row"), function (button) {
      var on = button.getAttribute("data-ticket") === ticketNo;
      button.classList.toggle("selected", on);
      if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
      var badge = on && button.querySelector(".row-unread");
      if (badge) badge.remove();
    });
    if (!ticket) return;
    // The agent just took an open ticket (or was handed it): it is in 我的 now, so the list goes there with it.
    var was = st.statuses[ticketNo];
    st.statuses[ticketNo] = ticket.status;
    if (was === "open" && ticket.status === "in_progress" && ticket.details.assigned_agent === me() &&
        view.tab === "open") setTab("mine", false);
  }

  function start() {
    st.on = true;
    st.version = null;
    syncControls();
    schedule(true);
  }

  function stop() {
    st.on = false;
    clearTimeout(st.timer);
    st.data = null;
    st.unread = {};
    st.statuses = {};
    st.selected = null;
    $("queue-list").textContent = "";
    try { sessionStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    view = restore();
  }

  build();
  window.addEventListener("topup:signed-in", start);
  window.addEventListener("topup:signed-out", stop);
  window.ConsoleQueue = { changed: changed, markUnread: markUnread, selected: selected, refresh: function () { schedule(true); } };
})();
