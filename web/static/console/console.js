// The clerk console: keyboard first. Every action is one key; dialogs (finish, transfer, pause) are driven by
// the keyboard too. State comes from one snapshot of the window, refreshed when the hall's live stream moves
// (live.js) and every few seconds as a fallback.
"use strict";
(function () {
  const root = document.getElementById("console");
  const $ = (id) => document.getElementById(id);
  const { esc } = hallops;
  const HALL = root.dataset.hall;
  // The bilingual convention of every page: html.en hides .zh, and shows .en at full size.
  const bi = (zh, en) => '<span class="zh">' + zh + '</span> <small class="en">' + en + '</small>';
  // Server messages read "中文 (English)": split them so the English page shows English.
  function biText(text) {
    const m = /^([\s\S]*?)\s*[(（]([^()（）]*)[)）]\s*$/.exec(String(text || ""));
    return m && /[A-Za-z]/.test(m[2]) ? bi(esc(m[1]), esc(m[2])) : esc(text);
  }

  // -- picking a window -----------------------------------------------------------------------------------
  if (!root.dataset.windowId) {
    root.addEventListener("click", async (ev) => {
      const b = ev.target.closest("[data-open]");
      if (!b) return;
      try {
        if (!b.classList.contains("open") && !b.classList.contains("paused")) await hallops.api("POST", "/api/v1/windows/" + b.dataset.open + "/open");
        location.href = location.pathname + "?window=" + b.dataset.number;
      } catch (e) { const err = root.querySelector(".error"); err.textContent = e.message; err.hidden = false; }
    });
    return;
  }

  const WID = Number(root.dataset.windowId);
  const STATUS = { waiting: ["等候中", "Waiting"], called: ["已呼叫", "Called"], serving: ["办理中", "Serving"], parked: ["挂起", "Parked"],
                   done: ["已办结", "Done"], no_show: ["过号", "No-show"], cancelled: ["已取消", "Cancelled"], expired: ["已过期", "Expired"] };
  const WSTATE = { open: ["服务中", "Open"], paused: ["暂停", "Paused"], closed: ["未开放", "Closed"] };
  const CHANNEL = { kiosk: ["取号机", "Kiosk"], mobile: ["手机", "Phone"], appointment: ["预约", "Appointment"], help_desk: ["帮办", "Help desk"] };
  const PRIORITY = { elderly: ["老年人优先", "Elderly"], disabled: ["残疾人优先", "Disabled"], green_channel: ["绿色通道", "Green channel"] };
  const EVENTS = { "ticket.issued": ["取号", "Issued"], "ticket.called": ["呼叫", "Called"], "ticket.recalled": ["重呼", "Recalled"],
                   "ticket.started": ["开始办理", "Started"], "ticket.parked": ["挂起", "Parked"], "ticket.finished": ["办结", "Finished"],
                   "ticket.no_show": ["过号", "No-show"], "ticket.transferred": ["转移", "Transferred"],
                   "ticket.cancelled": ["取消", "Cancelled"], "ticket.expired": ["过期", "Expired"] };
  const pair = (table, key) => table[key] ? bi(table[key][0], table[key][1]) : esc(key);
  const minutes = (v) => bi(v + " 分钟", v + " min");
  let snap = null, layout = null, picked = [], highlight = 0, autoTimer = null, refreshTimer = null;

  function msg(text, ok) {
    const m = $("c-msg");
    m.innerHTML = biText(text); m.hidden = !text; m.classList.toggle("ok", !!ok);
    clearTimeout(msg.t); if (text) msg.t = setTimeout(() => { m.hidden = true; }, 6000);
  }
  const TZ = root.dataset.tz || undefined;   // the hall's clock, whatever the tablet's own zone
  const hhmm = (iso) => iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ }) : "";
  const mins = (a, b) => Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 60000));

  async function refresh() {
    try {
      snap = await hallops.api("GET", "/api/v1/console/windows/" + WID);
      render();
    } catch (e) { msg(e.message); }
  }
  function soon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }

  function render() {
    const w = snap.window, t = snap.current;
    $("c-title").innerHTML = bi('<b>' + w.number + '</b> 号窗口', 'Window <b>' + w.number + '</b>') +
      ' <span class="c-wname">' + bi(esc(w.name), esc(w.name_en || w.name)) + '</span>' +
      (w.clerk ? ' <span class="c-clerk">' + esc(w.clerk.display_name) + '</span>' : '');
    const reason = w.pause_reason ? document.querySelector('[data-reason="' + CSS.escape(w.pause_reason) + '"]') : null;
    $("c-state").innerHTML = pair(WSTATE, w.state) + (w.pause_reason ? " · " + (reason ? bi(esc(w.pause_reason), esc(reason.dataset.en)) : esc(w.pause_reason)) : "");
    $("c-state").className = "c-state " + w.state;
    root.dataset.state = w.state;
    root.dataset.ticket = t ? t.status : "";
    $("c-number").textContent = t ? t.number : "—";
    const recalls = t && t.status === "called" && t.recall_count ? t.recall_count + "/" + snap.rules.recall_limit : "";
    $("c-tstatus").innerHTML = t ? bi(STATUS[t.status][0] + (recalls ? " · 重呼 " + recalls : ""), STATUS[t.status][1] + (recalls ? " · recalled " + recalls : "")) :
      (w.state === "open" ? bi("空闲，按空格叫号", "Idle: press Space to call") : "");
    if (t) {
      const waited = t.called_at ? mins(t.issued_at, t.called_at) : mins(t.issued_at, snap.now);
      const row = (zh, en, dd, cls) => '<div><dt>' + bi(zh, en) + '</dt><dd' + (cls ? ' class="' + cls + '"' : '') + '>' + dd + '</dd></div>';
      $("c-meta").innerHTML =
        row("业务", "Queue", esc(t.queue) + ' ' + bi(esc(t.queue_name), esc(t.queue_name_en || t.queue_name))) +
        row("渠道", "Channel", pair(CHANNEL, t.channel) + (t.appointment_at ? " " + hhmm(t.appointment_at) : "")) +
        (PRIORITY[t.priority] ? row("优先", "Priority", pair(PRIORITY, t.priority), "c-prio") : '') +
        row("取号", "Issued", hhmm(t.issued_at) + ' · ' + bi("等候 " + waited + " 分钟", "waited " + waited + " min")) +
        (t.transfer_count ? row("转移", "Transfers", t.transfer_count) : '');
      const win = (n) => bi(n + ' 号窗', 'window ' + n);
      $("c-history").innerHTML = t.history.map(h => '<li><time>' + hhmm(h.at) + '</time> ' + pair(EVENTS, h.type) +
        (h.window ? ' · ' + win(h.window) : '') + (h.to ? ' → ' + esc(h.to.queue || '') + (h.to.window ? ' ' + win(h.to.window) : '') : '') + '</li>').join("");
    } else { $("c-meta").innerHTML = ""; $("c-history").innerHTML = ""; }
    $("c-queues").innerHTML = snap.queues.map(q => {
      const longest = Math.round(q.longest_wait_seconds / 60);
      return '<li><b>' + esc(q.prefix) + '</b> <span class="c-qname">' + bi(esc(q.name), esc(q.name_en || q.name)) + '</span>' +
        '<span class="c-wait' + (q.longest_wait_seconds > q.target_wait_minutes * 60 ? ' late' : '') + '" data-queue="' + esc(q.prefix) + '"><b>' + q.waiting +
        '</b> ' + bi("人 · 最久 " + longest + " 分", "waiting · longest " + longest + " min") + '</span></li>';
    }).join("");
    $("c-parked").innerHTML = snap.parked.length ? '<h3>' + bi("挂起", "Parked") + '</h3>' + snap.parked.map((p, i) => '<button type="button" class="c-chip" data-callback="' + p.id + '"><kbd>' + (i + 1) + '</kbd>' + esc(p.number) + '</button>').join("") : "";
    const f = snap.figures;
    $("c-figs").innerHTML = fig("办结", "Served", f.served) + fig("过号", "No-shows", f.no_show) +
      fig("平均办理", "Mean service", f.mean_service_minutes == null ? "—" : minutes(f.mean_service_minutes)) +
      fig("平均等候", "Mean wait", f.mean_wait_minutes == null ? "—" : minutes(f.mean_wait_minutes)) +
      fig("转出", "Transferred", f.transferred_out) + fig("事项", "Items", f.items);
    const can = {
      call: w.state === "open" && !t, recall: t && t.status === "called", start: t && t.status === "called",
      finish: t && t.status === "serving", noshow: t && t.status === "called", transfer: !!t,
      park: t && t.status === "serving", callback: snap.parked.length > 0 && !t, pause: w.state === "open",
      resume: w.state === "paused", close: w.state !== "closed" && !t, help: true };
    document.querySelectorAll("[data-act]").forEach(b => { b.disabled = !can[b.dataset.act]; });
    armAutoNoShow();
  }
  const fig = (zh, en, v) => '<div><dt><span class="zh">' + zh + '</span> <small class="en">' + en + '</small></dt><dd>' + v + '</dd></div>';

  // The hall's rule: after the last allowed recall, no-show by itself after N seconds (0: the clerk decides).
  // The server marks it (its ticket.no_show event, "auto": true, refreshes this page); here only the countdown.
  function armAutoNoShow() {
    clearInterval(autoTimer);
    const t = snap.current, n = snap.rules.no_show_after_recalls_seconds, limit = snap.rules.recall_limit;
    const box = $("c-auto");
    if (!t || t.status !== "called" || !n || !limit || t.recall_count < limit) { box.hidden = true; return; }
    const offset = Date.parse(snap.now) - Date.now();
    const due = Date.parse(t.called_at) + n * 1000;
    const tick = () => {
      const left = Math.ceil((due - (Date.now() + offset)) / 1000);
      box.hidden = false;
      box.innerHTML = left > 0 ? bi("已达重呼上限，" + left + " 秒后自动过号", "Recall limit reached: no-show in " + left + " s")
                               : bi("已达重呼上限，正在自动过号…", "Recall limit reached: marking no-show…");
      if (left <= 0) clearInterval(autoTimer);
    };
    tick(); autoTimer = setInterval(tick, 1000);
  }

  // -- actions --------------------------------------------------------------------------------------------
  const T = () => snap && snap.current;
  async function post(url, body) { return hallops.api("POST", url, body || {}); }

  // Keys pressed while an action is under way wait their turn: a quick "S" then "T" does both, in order.
  let chain = Promise.resolve();
  function act(name) { chain = chain.then(() => doAct(name)).catch(e => msg(e.message)); return chain; }

  async function doAct(name) {
    if (!snap) return;
    const t = T(), w = snap.window;
    const btn = document.querySelector('[data-act="' + name + '"]');
    if (btn && btn.disabled) {
      if (name === "recall" && t && t.status === "called") return;
      return msg({ call: t ? "请先办结、过号或转移当前号票 (finish the current ticket first)" : "窗口未开放 (window not open)",
                   start: "没有已呼叫的号票 (no called ticket)", finish: "请先开始办理 (start first: S)" }[name] || "");
    }
    if (name === "finish") return openFinish();
    if (name === "transfer") return openDialog("d-transfer", "d-transfer-to");
    if (name === "pause") return openDialog("d-pause", null);
    if (name === "help") return openDialog("d-help", null);
    if (name === "callback" && snap.parked.length > 1) return msg("按数字键选择回呼的号票 (press the number of the parked ticket)");
    try {
      if (name === "call") {
        const r = await post("/api/v1/windows/" + WID + "/call-next");
        msg(r ? "已呼叫 " + r.ticket.number + " (called " + r.ticket.number + ")" : "暂无等候的号票 (nobody is waiting)", !!r);
      } else if (name === "recall") {
        try { await post("/api/v1/tickets/" + t.id + "/recall"); msg("已重呼 " + t.number + " (recalled " + t.number + ")", true); }
        catch (e) {
          if (e.code === "recall_limit_reached" && confirm(e.message + "\n\n现在标记过号？ Mark no-show now?")) { await post("/api/v1/tickets/" + t.id + "/no-show"); msg(t.number + " 已过号 (" + t.number + " no-show)", true); }
          else throw e;
        }
      } else if (name === "start") await post("/api/v1/tickets/" + t.id + "/start");
      else if (name === "noshow") { await post("/api/v1/tickets/" + t.id + "/no-show"); msg(t.number + " 已过号 (" + t.number + " no-show)", true); }
      else if (name === "park") await post("/api/v1/tickets/" + t.id + "/park");
      else if (name === "callback") await post("/api/v1/tickets/" + snap.parked[0].id + "/call-back");
      else if (name === "resume") await post("/api/v1/windows/" + WID + "/resume");
      else if (name === "close") { await post("/api/v1/windows/" + WID + "/close"); location.href = location.pathname; return; }
    } catch (e) { msg(e.message); }
    finally { await refresh(); }
  }

  // -- dialogs --------------------------------------------------------------------------------------------
  function openDialog(id, focusId) {
    const d = $(id);
    if (!d.open) d.showModal();
    if (focusId) { $(focusId).value = ""; $(focusId).focus(); }
  }
  function closeDialogs() {
    document.querySelectorAll("dialog[open]").forEach(d => d.close());
    if (document.activeElement && document.activeElement.closest("dialog")) document.activeElement.blur();
  }
  // However a dialog closes (Esc is handled by the browser too), focus must leave its inputs, or the next
  // shortcut would be typed into a hidden field. The close event comes later, as a task of its own: by then a
  // quick key may have opened the dialog again, and its input must keep the focus.
  document.querySelectorAll("dialog").forEach(d => d.addEventListener("close", () => {
    if (!d.open && document.activeElement && d.contains(document.activeElement)) document.activeElement.blur();
  }));

  async function loadLayout() {
    if (!layout) layout = await hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL));
    return layout;
  }

  async function openFinish() {
    picked = []; highlight = 0;
    if ($("d-finish-case")) $("d-finish-case").value = "";
    await loadLayout();
    openDialog("d-finish", "d-finish-q");
    renderItems();
  }
  // Items are shown by name (the internal code means nothing to a clerk) and found by name, English name or code.
  function candidates() {
    const s = $("d-finish-q").value.trim().toLowerCase();
    const served = snap.window.queues;
    const items = layout.service_items.filter(i => i.active);
    const mine = items.filter(i => served.includes(i.queue) || (T() && i.queue === T().queue));
    const hit = (i) => [i.name, i.name_en, i.code].some(v => (v || "").toLowerCase().includes(s));
    const pool = s ? items.filter(hit) : mine;
    return pool.slice(0, 12);
  }
  function renderItems() {
    const list = candidates();
    highlight = Math.min(highlight, Math.max(list.length - 1, 0));
    $("d-finish-list").innerHTML = list.map((i, n) => '<li class="' + (n === highlight ? "hl " : "") + (picked.includes(i.id) ? "picked" : "") +
      '" data-item="' + i.id + '">' + (picked.includes(i.id) ? "✓ " : "") + '<span class="zh">' + esc(i.name) + '</span> <small class="en">' + esc(i.name_en || i.name) + '</small>' +
      (i.queue ? ' <small class="c-iq">' + esc(i.queue) + '</small>' : '') + '</li>').join("");
    $("d-finish-picked").innerHTML = picked.length ? bi("已选 " + picked.length + " 项", picked.length + " picked") : bi("未选事项", "no item picked");
  }
  function toggleItem(id) { picked = picked.includes(id) ? picked.filter(x => x !== id) : picked.concat([id]); $("d-finish-q").value = ""; renderItems(); }
  async function finishNow() {
    const t = T(); if (!t) return;
    const caseNo = $("d-finish-case") ? $("d-finish-case").value.trim() : "";  // 办件编号 (issue 12)
    try { await post("/api/v1/tickets/" + t.id + "/finish", caseNo ? { items: picked, case_number: caseNo } : { items: picked }); closeDialogs(); msg(t.number + " 已办结 (" + t.number + " done)", true); }
    catch (e) { msg(e.message); }
    await refresh();
  }
  $("d-finish-q").addEventListener("input", () => { highlight = 0; renderItems(); });
  if ($("d-finish-case")) $("d-finish-case").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); finishNow(); } });
  $("d-finish-q").addEventListener("keydown", (ev) => {
    const list = candidates();
    if (ev.key === "ArrowDown") { highlight = Math.min(highlight + 1, list.length - 1); renderItems(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp") { highlight = Math.max(highlight - 1, 0); renderItems(); ev.preventDefault(); }
    else if (ev.key === "Enter") {
      ev.preventDefault();
      if ($("d-finish-q").value.trim() && list[highlight]) toggleItem(list[highlight].id);
      else if (ev.ctrlKey || !$("d-finish-q").value.trim()) finishNow();
    }
  });
  $("d-finish-list").addEventListener("click", (ev) => { const li = ev.target.closest("[data-item]"); if (li) toggleItem(Number(li.dataset.item)); });

  async function transferNow() {
    const t = T(); if (!t) return;
    const to = $("d-transfer-to").value.trim().toUpperCase();
    const place = document.querySelector('input[name="place"]:checked').value;
    const body = { placement: place };
    if (/^[A-Z]{1,2}$/.test(to)) body.queue = to;
    else if (/^\d+$/.test(to)) {
      const w = (await loadLayout()).windows.find(x => x.number === Number(to));
      if (!w) { $("d-transfer-hint").innerHTML = biText("没有 " + to + " 号窗口 (no window " + to + ")"); return; }
      body.window = w.id;
    } else { $("d-transfer-hint").innerHTML = biText("请输入业务字母或窗口号 (a queue letter or a window number)"); return; }
    try { await post("/api/v1/tickets/" + t.id + "/transfer", body); closeDialogs(); msg(t.number + " 已转移 (" + t.number + " transferred)", true); }
    catch (e) { $("d-transfer-hint").innerHTML = biText(e.message); }
    await refresh();
  }
  $("d-transfer").addEventListener("keydown", (ev) => {
    if (["1", "2", "3"].includes(ev.key)) {
      const v = { "1": "front", "2": "end", "3": "issue_time" }[ev.key];
      if (ev.target.id !== "d-transfer-to" || !/^\d/.test(ev.target.value)) {
        document.querySelector('input[name="place"][value="' + v + '"]').checked = true; ev.preventDefault();
      }
    }
    if (ev.key === "Enter") { ev.preventDefault(); transferNow(); }
  });

  async function pauseNow(reason) {
    try { await post("/api/v1/windows/" + WID + "/pause", { reason }); closeDialogs(); } catch (e) { msg(e.message); }
    await refresh();
  }
  $("d-pause").addEventListener("keydown", (ev) => {
    if (ev.target.id === "d-pause-other") { if (ev.key === "Enter" && ev.target.value.trim()) { ev.preventDefault(); pauseNow(ev.target.value.trim()); } return; }
    const b = document.querySelectorAll("[data-reason]")[Number(ev.key) - 1];
    if (b) { ev.preventDefault(); pauseNow(b.dataset.reason); }
  });

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.act) act(b.dataset.act);
    else if (b.dataset.reason) pauseNow(b.dataset.reason);
    else if (b.dataset.callback) { post("/api/v1/tickets/" + b.dataset.callback + "/call-back").catch(e => msg(e.message)).finally(refresh); }
    else if (b.dataset.dlg === "cancel") closeDialogs();
    else if (b.dataset.dlg === "finish-ok") finishNow();
    else if (b.dataset.dlg === "transfer-ok") transferNow();
  });

  const KEYS = { " ": "call", n: "call", r: "recall", s: "start", f: "finish", x: "noshow", t: "transfer", h: "park",
                 b: "callback", p: "pause", u: "resume", q: "close", "?": "help" };
  document.addEventListener("keydown", (ev) => {
    if (document.querySelector("dialog[open]")) { if (ev.key === "Escape") closeDialogs(); return; }
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (ev.target.closest && ev.target.closest("input, textarea, select") && !ev.target.closest("dialog:not([open])")) return;
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (/^[1-9]$/.test(k) && snap && snap.parked[Number(k) - 1] && !T()) {
      ev.preventDefault();
      post("/api/v1/tickets/" + snap.parked[Number(k) - 1].id + "/call-back").catch(e => msg(e.message)).finally(refresh);
      return;
    }
    const a = KEYS[k];
    if (a) { ev.preventDefault(); act(a); }
  });

  // -- live -----------------------------------------------------------------------------------------------
  if (window.hallops.live) {
    hallops.live.connect({
      hall: HALL, snapshot: false,
      onEvent() { soon(); },
      onStatus(s) { $("c-live").innerHTML = s === "open" ? "● " + bi("实时", "Live") : s === "lost" ? bi("连接中断，正在重连…", "Reconnecting…") : ""; $("c-live").className = "c-live " + s; },
    });
  }
  setInterval(refresh, 15000);   // the figures and waiting times age even when nothing happens
  refresh();
})();
