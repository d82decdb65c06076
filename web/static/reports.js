/* 报表: the figures of a range of the platform's days (GET /api/reports), each as a chart (Apache ECharts, drawn
   on a canvas) and as a table beside it that reads without the chart; the CSV export of the same range.
   Labels come from /console-config.js (topup/labels.py), so the page names every code as the console does. */
(function () {
  "use strict";

  var CONFIG = window.TOPUP_CONSOLE;
  var L = CONFIG.labels;
  var R = L.report;
  var COLORS = { solved: "#0b7a5f", handed_off: "#c2410c", dropped: "#6b7280", open: "#93c5fd",
                 first: "#1d4ed8", resolution: "#b45309", bar: "#2563eb", ratings: "#d97706" };
  var state = { report: null, charts: {} };

  var $ = window.TopupDom.$, el = window.TopupDom.el; // web/static/dom.js
  function label(map, code) { return (map && map[code]) || String(code); }
  function reasonLabel(code) {
    if (code.indexOf("diagnosis:") === 0) return "诊断后需要人工：" + label(L.diagnosis, code.slice(10));
    return label(L.handoff, code);
  }
  function num(value, digits) { return value === null || value === undefined ? "—" : Number(value).toFixed(digits || 0); }
  function share(count, total) { return total ? (100 * count / total).toFixed(1) + "%" : "—"; }
  function short(day) { return day.slice(5); } // 11-28 on the axis, the whole date in the tables

  // ---- dates: YYYY-MM-DD strings, counted in whole days (no time zone involved) --------------------------------
  function addDays(iso, days) {
    var p = iso.split("-");
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2] + days));
    return d.toISOString().slice(0, 10);
  }

  // ---- the API -------------------------------------------------------------------------------------------------
  function get(path) {
    return fetch(path, { credentials: "same-origin" }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (res.status === 401) signedOut(data && data.code === "session_expired");
        if (!res.ok) throw new Error((data && data.error) || "出了点问题，请稍后再试");
        return data;
      });
    }, function () { throw new Error("网络好像断了，请检查网络后再试"); });
  }

  function signedOut(expired) {
    $("report-view").hidden = true;
    $("signed-out").hidden = false;
    $("signed-out-text").textContent = expired ? "登录已过期，请重新登录工作台，再来看报表。" : "请先登录客服工作台，再来看报表。";
  }

  function showError(message) {
    var box = $("report-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function load(from, to) {
    var query = from ? "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to) : "";
    $("report-status").textContent = "正在统计…";
    $("range-submit").disabled = true;
    return get("/api/reports" + query).then(function (report) {
      showError("");
      render(report);
    }, function (err) {
      $("report-status").textContent = state.report ? "下面仍是之前查询的结果。" : "";
      showError(err.message);
    }).then(function () { $("range-submit").disabled = false; });
  }

  // ---- tables: real tables with a caption and header cells, the first column naming the row --------------------
  function table(id, caption, headers, rows, foot) {
    var t = $(id);
    t.textContent = "";
    t.appendChild(el("caption", "", caption));
    var head = el("thead"), tr = el("tr");
    headers.forEach(function (h) { var th = el("th", "", h); th.scope = "col"; tr.appendChild(th); });
    head.appendChild(tr);
    t.appendChild(head);
    [["tbody", rows], ["tfoot", foot || []]].forEach(function (part) {
      if (!part[1].length) return;
      var section = el(part[0]);
      part[1].forEach(function (cells) {
        var row = el("tr");
        cells.forEach(function (cell, i) {
          var c = el(i === 0 ? "th" : "td", i === 0 ? "" : "r-num", cell);
          if (i === 0) c.scope = "row";
          row.appendChild(c);
        });
        section.appendChild(row);
      });
      t.appendChild(section);
    });
  }

  // ---- charts --------------------------------------------------------------------------------------------------
  function card(name, hasData, summary, option) {
    var box = $("chart-" + name), body = box.parentNode;
    body.querySelector(".r-empty").hidden = hasData;
    box.hidden = !hasData;
    body.querySelector(".r-table-wrap").hidden = !hasData;
    box.setAttribute("aria-label", hasData ? summary : "暂无数据");
    if (!hasData) {
      if (state.charts[name]) { state.charts[name].dispose(); delete state.charts[name]; }
      return;
    }
    if (!state.charts[name]) state.charts[name] = window.echarts.init(box, null, { renderer: "canvas" });
    option.animation = false;
    // A tooltip drawn on the canvas: the HTML one carries style attributes the console's CSP refuses.
    option.tooltip = Object.assign({ trigger: "axis", renderMode: "richText", confine: true }, option.tooltip || {});
    option.grid = option.grid || { left: 48, right: 24, top: 40, bottom: 32, containLabel: true };
    option.textStyle = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
    state.charts[name].setOption(option, true);
  }

  function axis(days) { return { type: "category", data: days.map(function (d) { return short(d.day); }) }; }

  function renderContainment(r) {
    var days = r.days, t = r.totals;
    var points = days.filter(function (d) { return d.containment_pct !== null; });
    var low = points.reduce(function (m, d) { return m === null || d.containment_pct < m.containment_pct ? d : m; }, null);
    card("containment", points.length > 0,
      "折线图：" + r.from + " 至 " + r.to + " 每天的助手独立解决率，整体 " + num(t.containment_pct, 1) + "%" +
        (low ? "，最低 " + low.day + " " + num(low.containment_pct, 1) + "%" : ""),
      { legend: { show: false }, xAxis: axis(days),
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ name: R.containment_pct, type: "line", data: days.map(function (d) { return d.containment_pct; }),
                   color: COLORS.solved, connectNulls: false, showSymbol: true }] });
    table("table-containment", "每天的助手独立解决率", [R.day, R.containment_pct, R.solved, R.handed_off],
      days.map(function (d) { return [d.day, num(d.containment_pct, 1), d.solved, d.handed_off]; }),
      [[R.total, num(t.containment_pct, 1), t.solved, t.handed_off]]);
  }

  function renderOutcomes(r) {
    var days = r.days, t = r.totals, keys = ["solved", "handed_off", "dropped", "open"];
    card("outcomes", t.conversations > 0,
      "堆叠柱状图：每天的咨询数，共 " + t.conversations + " 个，其中助手独立解决 " + t.solved + " 个，转人工 " +
        t.handed_off + " 个，中途离开 " + t.dropped + " 个，未结束 " + t.open + " 个",
      { legend: { top: 0 }, xAxis: axis(days), yAxis: { type: "value", minInterval: 1 },
        series: keys.map(function (k) {
          return { name: R[k], type: "bar", stack: "cases", color: COLORS[k], data: days.map(function (d) { return d[k]; }) };
        }) });
    table("table-outcomes", "每天的咨询结果", [R.day, R.conversations].concat(keys.map(function (k) { return R[k]; })),
      days.map(function (d) { return [d.day, d.conversations].concat(keys.map(function (k) { return d[k]; })); }),
      [[R.total, t.conversations].concat(keys.map(function (k) { return t[k]; }))]);
  }

  function renderCounts(name, list, nameOf, what, caption) {
    var total = list.reduce(function (s, c) { return s + c.count; }, 0);
    var ordered = list.slice().reverse(); // the largest on top of a horizontal bar chart
    card(name, list.length > 0,
      "条形图：" + what + "，共 " + total + " 个工单" + (list.length ? "，最多的是" + nameOf(list[0].code) + "（" +
        list[0].count + " 个）" : ""),
      { tooltip: { trigger: "item" }, grid: { left: 16, right: 40, top: 16, bottom: 16, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: ordered.map(function (c) { return nameOf(c.code); }) },
        series: [{ name: R.tickets, type: "bar", color: COLORS.bar, label: { show: true, position: "right" },
                   data: ordered.map(function (c) { return c.count; }) }] });
    table("table-" + name, caption, [what, R.tickets, "占比"],
      list.map(function (c) { return [nameOf(c.code), c.count, share(c.count, total)]; }),
      [[R.total, total, total ? "100.0%" : "—"]]);
  }

  function renderRatings(r) {
    var g = r.ratings, stars = ["1", "2", "3", "4", "5"];
    card("ratings", g.count > 0,
      "柱状图：客户评分分布，共 " + g.count + " 条评价，平均 " + num(g.average, 2) + " 分，" +
        stars.map(function (s) { return s + " 星 " + g.counts[s] + " 条"; }).join("，"),
      { title: { text: "平均 " + num(g.average, 2) + " 分（" + g.count + " 条评价）", left: "center", top: 0,
                 textStyle: { fontSize: 13, fontWeight: "normal" } },
        tooltip: { trigger: "item" }, xAxis: { type: "category", data: stars.map(function (s) { return s + " 星"; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: R.ratings, type: "bar", color: COLORS.ratings, label: { show: true, position: "top" },
                   data: stars.map(function (s) { return g.counts[s]; }) }] });
    table("table-ratings", "客户评分分布", ["评分", "评价数", "占比"],
      stars.map(function (s) { return [s + " 星", g.counts[s], share(g.counts[s], g.count)]; }),
      [[R.ratings, g.count, ""], [R.average_rating, num(g.average, 2), ""], ["带留言的评价", g.comments, ""]]);
  }

  function renderTimes(r) {
    var days = r.days, t = r.totals;
    var any = days.some(function (d) { return d.median_first_reply_min !== null || d.median_resolution_min !== null; });
    card("times", any,
      "折线图：每天的首次回复与解决时长中位数（分钟），整体首次回复 " + num(t.median_first_reply_min, 1) +
        " 分钟，解决 " + num(t.median_resolution_min, 1) + " 分钟",
      { legend: { top: 0 }, xAxis: axis(days), yAxis: { type: "value", name: "分钟" },
        series: [
          { name: R.median_first_reply_min, type: "line", color: COLORS.first,
            data: days.map(function (d) { return d.median_first_reply_min; }) },
          { name: R.median_resolution_min, type: "line", color: COLORS.resolution,
            data: days.map(function (d) { return d.median_resolution_min; }) }] });
    table("table-times", "每天的首次回复与解决时长中位数",
      [R.day, R.tickets, R.resolved, R.median_first_reply_min, R.median_resolution_min],
      days.map(function (d) {
        return [d.day, d.tickets, d.resolved, num(d.median_first_reply_min, 1), num(d.median_resolution_min, 1)];
      }),
      [[R.total, t.tickets, t.resolved, num(t.median_first_reply_min, 1), num(t.median_resolution_min, 1)]]);
  }

  function renderKpis(r) {
    var t = r.totals, list = $("kpis");
    list.textContent = "";
    [[R.conversations, t.conversations], [R.containment_pct, num(t.containment_pct, 1)], [R.handed_off, t.handed_off],
     [R.tickets, t.tickets], [R.median_first_reply_min, num(t.median_first_reply_min, 1)],
     [R.median_resolution_min, num(t.median_resolution_min, 1)],
     [R.average_rating, num(t.average_rating, 2)]].forEach(function (kpi) {
      var item = el("div", "r-kpi");
      item.appendChild(el("dt", "", kpi[0]));
      item.appendChild(el("dd", "", kpi[1]));
      list.appendChild(item);
    });
  }

  function render(r) {
    state.report = r;
    $("range-from").value = r.from;
    $("range-to").value = r.to;
    $("csv-link").href = "/api/reports.csv?from=" + r.from + "&to=" + r.to;
    Array.prototype.forEach.call(document.querySelectorAll(".r-zone"), function (n) { n.textContent = r.zone; });
    $("report-status").textContent = "显示 " + r.from + " 至 " + r.to + " 的数据（共 " + r.days.length + " 天）";
    renderKpis(r);
    renderContainment(r);
    renderOutcomes(r);
    renderCounts("reasons", r.handoff_reasons, reasonLabel, "转人工原因", "转人工原因（按工单数）");
    renderCounts("complaints", r.complaints, function (c) { return label(L.complaint, c); }, "问题类型",
      "转人工的问题类型（按工单数）");
    renderRatings(r);
    renderTimes(r);
  }

  // ---- the range -----------------------------------------------------------------------------------------------
  function submitRange(event) {
    event.preventDefault();
    var from = $("range-from").value, to = $("range-to").value;
    if (!from || !to) { showError("请把开始日期和结束日期都选上"); return; }
    load(from, to);
  }

  function quick(event) {
    var days = Number(event.currentTarget.getAttribute("data-days"));
    var today = state.report ? state.report.today : $("range-to").value;
    if (!today) return;
    load(addDays(today, 1 - days), today);
  }

  function start() {
    $("range-form").addEventListener("submit", submitRange);
    Array.prototype.forEach.call(document.querySelectorAll(".r-chip"), function (b) { b.addEventListener("click", quick); });
    window.addEventListener("resize", function () {
      Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); });
    });
    get("/api/me").then(function (me) {
      $("me-name").textContent = me.display_name || me.username;
      $("signed-out").hidden = true;
      $("report-view").hidden = false;
      return load(null, null);
    }, function (err) {
      if ($("signed-out").hidden) { signedOut(false); $("signed-out-text").textContent = err.message; }
    });
  }

  start();
}());
