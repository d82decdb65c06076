/* 客服工作台 · the case view: summary, order facts, what was tried, the conversation, and the agent's controls.
   Customer words are shown with textContent only (a message like <img onerror=...> stays literal text). */
(function () {
  "use strict";

  function C() { return window.ConsoleLabels; }
  function el(tag, className, text) { return C().el(tag, className, text); }
  function $(id) { return document.getElementById(id); }

  function card(title) {
    var box = el("section", "card");
    box.appendChild(el("h3", "card-title", title));
    return box;
  }

  function facts(rows) {
    var dl = el("dl", "facts");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") return;
      dl.appendChild(el("dt", "", row[0]));
      var dd = el("dd", row[2] || "", row[1]);
      dl.appendChild(dd);
    });
    return dl;
  }

  function payments(list) {
    var c = C();
    var ul = el("ul", "payments");
    (list || []).forEach(function (p) {
      ul.appendChild(el("li", "", c.fmtTime(p.at) + " · " + c.label(c.L.payment, p.method) + " " + c.yuan(p.amount_cents) +
        " · " + c.label(c.L.paymentStatus, p.status)));
    });
    if (!ul.childNodes.length) ul.appendChild(el("li", "muted", "没有支付记录"));
    return ul;
  }

  function orderCard(before, now) {
    var c = C(), L = c.L;
    var box = card("订单信息");
    if (!before && !now) {
      box.appendChild(el("p", "muted", "客户没有提供订单号，或者没查到这个订单"));
      return box;
    }
    var rows = [
      ["订单号", function (o) { return o.order_no; }, "mono"],
      ["手机号", function (o) { return o.phone_masked; }, "mono"],
      ["商品", function (o) { return o.product_name; }],
      ["金额", function (o) { return c.yuan(o.amount_cents); }],
      ["支付方式", function (o) { return c.label(L.payment, o.payment_method); }],
      ["订单状态", function (o) { return c.label(L.orderStatus, o.status); }, "strong"],
      ["扣款情况", function (o) { return c.label(L.debit, o.debit_status); }, "strong"],
      ["下单时间", function (o) { return c.fmtTime(o.created_at); }],
      ["付款时间", function (o) { return o.paid_at ? c.fmtTime(o.paid_at) : "未付款"; }],
      ["状态更新", function (o) { return c.fmtTime(o.status_changed_at); }],
      ["开始退款", function (o) { return o.refund_started_at ? c.fmtTime(o.refund_started_at) : ""; }],
      ["退款完成", function (o) { return o.refunded_at ? c.fmtTime(o.refunded_at) : ""; }]
    ];
    var table = el("table", "order-table");
    var head = el("tr");
    ["", "转人工时", "现在"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    table.appendChild(head);
    rows.forEach(function (row) {
      var a = before ? row[1](before) : "—", b = now ? row[1](now) : "—";
      if (!a && !b) return;
      var tr = el("tr", a !== b && before && now ? "differs" : "");
      tr.appendChild(el("th", "", row[0]));
      tr.appendChild(el("td", row[2] || "", a || "—"));
      tr.appendChild(el("td", row[2] || "", b || "—"));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (before && (before.diagnosis || before.notice)) {
      box.appendChild(facts([
        ["诊断", before.diagnosis ? c.label(L.diagnosis, before.diagnosis) : null],
        ["相关公告", before.notice || null]
      ]));
    }
    box.appendChild(el("div", "sub-title", "支付记录（现在）"));
    box.appendChild(payments((now || before).payments));
    return box;
  }

  function handoffReason(reason) {
    var L = C().L;
    if (reason && reason.indexOf("diagnosis:") === 0) return "诊断后需要人工：" + C().label(L.diagnosis, reason.slice(10));
    return C().label(L.handoff, reason);
  }

  function caseCard(t) {
    var c = C(), L = c.L, d = t.details;
    var box = card("客户的情况");
    box.appendChild(el("div", "sub-title", "客户的原话"));
    box.appendChild(el("blockquote", "customer-words", d.customer_description || "（客户没有描述）"));
    var reasons = (d.priority_reasons || []).map(function (r) { return c.label(L.reason, r); }).join("、");
    box.appendChild(facts([
      ["问题类型", c.label(L.complaint, d.complaint)],
      ["转人工原因", handoffReason(d.handoff_reason)],
      ["优先级", (t.priority === "high" ? "高" : "普通") + (reasons ? "（" + reasons + "）" : ""),
        t.priority === "high" ? "strong danger" : ""],
      ["订单验证", d.verified ? "已验证手机尾号" : "未验证"]
    ]));
    return box;
  }

  function stepsCard(steps) {
    var c = C(), L = c.L;
    var box = card("已试过的自助步骤");
    var ol = el("ol", "steps");
    (steps || []).forEach(function (s) {
      var li = el("li", "step");
      li.appendChild(el("span", "step-name", c.label(L.step, s.step)));
      li.appendChild(el("span", "outcome outcome-" + s.outcome, c.label(L.outcome, s.outcome)));
      ol.appendChild(li);
    });
    if (!ol.childNodes.length) box.appendChild(el("p", "muted", "还没有试过自助步骤"));
    else box.appendChild(ol);
    return box;
  }

  function line(role, author, at, text, attachment) {
    var c = C();
    var row = el("div", "line role-" + role);
    var named = (role === "agent" || role === "note") && author; // a note: 内部备注 · 小王 (agents only)
    var who = c.label(c.L.role, role) + (named ? " · " + (c.agentName(author)) : "");
    row.appendChild(el("div", "line-meta", who + (at ? " · " + c.fmtTime(at) : "")));
    if (attachment) {
      var box = el("div", "line-text line-image");
      box.appendChild(thumb(attachment, role === "agent" ? "客服发给客户的图片" : "客户发来的图片"));
      row.appendChild(box);
    } else row.appendChild(el("div", "line-text", text));
    return row;
  }

  // ---- images (web/attachments.py): thumbnails in the live log, the case's 附件 list, the holder's 发送图片 ----
  function thumb(token, label) {
    var link = el("a", "thumb");
    link.href = "/api/attachments/" + encodeURIComponent(token); // the agent's cookie is the key
    link.target = "_blank";
    link.rel = "noopener";
    link.title = label + "（点击看原图）";
    var img = el("img", "thumb-img");
    img.alt = label;
    img.src = link.href;
    link.appendChild(img);
    return link;
  }

  function attachmentItem(a) {
    var c = C();
    var li = el("li", "attachment");
    li.setAttribute("data-token", a.token);
    li.appendChild(thumb(a.token, a.role === "agent" ? "客服发给客户的图片" : "客户发来的图片"));
    var who = a.role === "agent" ? "客服 " + c.agentName(a.author) : "客户";
    li.appendChild(el("div", "attachment-meta", who + " · " + c.fmtTime(a.created_at)));
    return li;
  }

  // Every image of the case's conversations, also those the customer sent before the handoff.
  function attachmentsCard(list) {
    var box = card("附件");
    var ul = el("ul", "attachments");
    ul.id = "t-attachments";
    (list || []).forEach(function (a) { ul.appendChild(attachmentItem(a)); });
    var empty = el("p", "muted", "客户还没有发图片");
    empty.id = "t-attachments-empty";
    empty.hidden = !!(list || []).length;
    box.appendChild(ul);
    box.appendChild(empty);
    return box;
  }

  function addAttachment(a) {
    var ul = $("t-attachments");
    if (!ul || ul.querySelector('[data-token="' + CSS.escape(a.token) + '"]')) return;
    ul.appendChild(attachmentItem(a));
    $("t-attachments-empty").hidden = true;
  }

  function attachButton(t) {
    var wrap = el("span", "attach");
    var button = el("button", "secondary attach-btn", "发图片"); // not "发送…": 发送 is the reply button's name
    button.id = "attach-btn";
    button.type = "button";
    button.title = "给客户发一张图片（PNG、JPG 或 WebP）";
    var input = el("input", "attach-file");
    input.id = "attach-file";
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/webp";
    input.hidden = true;
    input.tabIndex = -1;
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      input.value = "";
      if (!file) return;
      var body = new FormData();
      body.append("file", file, "image");
      button.disabled = true;
      button.textContent = "正在上传…";
      fetch("/api/tickets/" + encodeURIComponent(t.ticket_no) + "/attachments",
        { method: "POST", credentials: "same-origin", body: body }).then(function (r) {
        return r.json().catch(function () { return null; }).then(function (data) {
          return { ok: r.ok, status: r.status, data: data || {} };
        });
      }).then(function (res) {
        if (res.data.attachment) addAttachment(res.data.attachment); // the live log gets it from /api/events
        if (res.ok) notice("图片已发给客户", "info");
        else notice(res.data.error || "图片没发出去，请稍后再试", res.status === 502 ? "warn" : "error");
      }, function () {
        notice("网络好像断了，请检查网络后再试", "error");
      }).then(function () {
        button.disabled = false;
        button.textContent = "发图片";
      });
    });
    wrap.appendChild(button);
    wrap.appendChild(input);
    return wrap;
  }

  function controls(t, me, actions) {
    var d = t.details, mine = d.assigned_agent === me.username;
    var box = el("section", "controls");
    // The agent's tools (快捷回复, 内部备注, 转给同事, 放回队列): console-tools.js fills the bar.
    var tools = el("div", "tools-bar");
    tools.id = "ticket-tools";
    box.appendChild(tools);
    if (window.ConsoleTools) window.ConsoleTools.bar(tools, t, me);
    if (t.status === "resolved") {
      box.appendChild(el("p", "resolved-note", "已解决：" + (d.resolution || "") + (d.resolved_at ? "（" + C().fmtTime(d.resolved_at) + "）" : "")));
      return box;
    }
    if (t.status === "in_progress" && mine) {
      var compose = el("div", "compose");
      var text = el("textarea", "reply-text");
      text.id = "reply-text";
      text.setAttribute("aria-label", "回复客户");
      text.maxLength = 2000;
      text.rows = 3;
      text.placeholder = "回复客户…（Enter 发送，Shift+Enter 换行）";
      var send = el("button", "primary", "发送");
      send.id = "reply-btn";
      send.type = "button";
      function doSend() {
        var value = text.value.trim();
        if (!value) return notice("请先输入要回复的内容", "error");
        actions.reply(value, send).then(function (r) {
          if (!r.ok) return;
          text.value = "";
          text.dispatchEvent(new Event("input", { bubbles: true })); // the saved draft goes too (console-tools.js)
        });
      }
      send.addEventListener("click", doSend);
      text.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); doSend(); }
      });
      compose.appendChild(text);
      compose.appendChild(attachButton(t));
      compose.appendChild(send);
      box.appendChild(compose);
    }
    if (t.status === "open" || mine) {
      var resolve = el("div", "resolve");
      var input = el("input", "resolve-text");
      input.id = "resolve-text";
      input.setAttribute("aria-label", "处理结果（客户会看到）");
      input.maxLength = 2000;
      input.placeholder = "处理结果（客户会看到），例如：已联系供应商补充值，话费已到账";
      var done = el("button", "secondary", "解决");
      done.id = "resolve-btn";
      done.type = "button";
      done.addEventListener("click", function () {
        var value = input.value.trim();
        if (!value) return notice("请先填写处理结果，方便以后查看", "error");
        actions.resolve(value, done);
      });
      resolve.appendChild(input);
      resolve.appendChild(done);
      box.appendChild(resolve);
    }
    return box;
  }

  function header(t, me, actions) {
    var c = C(), d = t.details;
    var head = el("div", "t-head");
    var title = el("div", "t-title");
    title.appendChild(el("h2", "", "工单 " + t.ticket_no));
    title.appendChild(el("span", "pill status-" + t.status, c.label(c.L.ticketStatus, t.status)));
    head.appendChild(title);
    var holder = d.assigned_agent_name || d.assigned_agent;
    var who = t.status === "resolved" ? (d.assigned_agent === me.username ? "您已解决" : holder ? "由" + holder + "解决" : "已解决")
      : d.assigned_agent ? (d.assigned_agent === me.username ? "您正在处理" : "由" + holder + "处理")
      : "等待客服接手";
    head.appendChild(el("div", "t-meta", "转人工于 " + c.fmtTime(t.created_at) + " · " + who));
    if (t.status !== "resolved" && d.assigned_agent !== me.username) {
      var claim = el("button", "primary", "接手");
      claim.id = "claim-btn";
      claim.type = "button";
      claim.disabled = !!d.assigned_agent;
      claim.addEventListener("click", function () { actions.claim(claim); });
      head.appendChild(claim);
    }
    return head;
  }

  function rating(value, comment) {
    var box = el("div", "rating");
    box.id = "t-rating";
    box.appendChild(el("span", "", "客户评分："));
    var stars = el("span", "stars", "★★★★★".slice(0, value) + "☆☆☆☆☆".slice(0, 5 - value));
    stars.setAttribute("aria-hidden", "true");
    box.appendChild(stars);
    box.appendChild(el("strong", "rating-value", value + " 分"));
    box.appendChild(el("span", "muted", "（满分 5 分）"));
    if (comment) {
      var said = el("blockquote", "rating-comment", comment);
      said.id = "t-rating-comment";
      box.appendChild(said);
    }
    return box;
  }

  // Where the transcript is scrolled: a newly opened case shows its newest message; a re-render of the same case
  // (every change re-reads it) keeps the agent where they were reading, or at the bottom if they were there.
  var scroll = { ticket: null, stick: true, top: 0 };
  function atBottom(log) { return !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40; }
  function settle() {
    var log = $("t-log");
    if (log) log.scrollTop = scroll.stick ? log.scrollHeight : scroll.top;
  }

  function render(data, me, actions) {
    var t = data.ticket, d = t.details;
    var old = $("t-log"), same = !!old && scroll.ticket === t.ticket_no;
    scroll = { ticket: t.ticket_no, stick: !same || atBottom(old), top: same ? old.scrollTop : 0 };
    var view = $("ticket-view");
    view.textContent = "";
    var summary = el("div", "summary", data.summary);
    summary.id = "t-summary";
    view.appendChild(summary);
    view.appendChild(header(t, me, actions));
    if (d.rating) view.appendChild(rating(d.rating, d.rating_comment));
    var body = el("div", "t-body");
    var side = el("div", "t-case");
    side.appendChild(caseCard(t));
    side.appendChild(attachmentsCard(data.attachments));
    side.appendChild(stepsCard(d.steps));
    side.appendChild(orderCard(d.order, data.current_order));
    var chat = el("div", "t-chat");
    body.appendChild(side);
    body.appendChild(chat);
    view.appendChild(body);
    var talk = card("对话记录");
    var log = el("div", "log");
    log.id = "t-log";
    (d.transcript || []).forEach(function (m) { log.appendChild(line(m.role, "", m.at, m.text)); });
    if (!(d.transcript || []).length) log.appendChild(el("p", "muted", "没有对话记录"));
    // The same order asked about again from another chat window: that conversation, up to its handoff.
    (data.conversations || []).slice(1).forEach(function (c, i) {
      log.appendChild(el("div", "divider conversation-divider", "客户的第 " + (i + 2) + " 个对话 · " +
        C().fmtTime(c.joined_at) + " 加入这个工单"));
      (c.transcript || []).forEach(function (m) { log.appendChild(line(m.role, "", m.at, m.text)); });
    });
    var live = el("div", "live-log");
    live.id = "t-live";
    log.appendChild(live);
    talk.appendChild(log);
    chat.appendChild(talk);
    chat.appendChild(controls(t, me, actions));
    settle(); // again once the view is shown (console.js): a hidden log has no height to scroll
  }

  function appendLive(m) {
    var live = $("t-live");
    if (!live) return;
    var log = $("t-log"), stick = atBottom(log);
    if (!live.childNodes.length) live.appendChild(el("div", "divider", "以下是人工接入后的消息"));
    live.appendChild(line(m.role, m.author, m.created_at, m.text, m.attachment));
    if (m.attachment) addAttachment({ token: m.attachment, role: m.role, author: m.author, created_at: m.created_at });
    if (stick) log.scrollTop = log.scrollHeight; // a new message scrolls only an agent already at the bottom
  }

  function notice(text, kind) {
    var box = $("ticket-notice");
    if (!box) return;
    box.textContent = text;
    box.className = "notice notice-" + (kind || "info");
    box.hidden = false;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  window.TicketView = { render: render, appendLive: appendLive, notice: notice, settle: settle };
})();
