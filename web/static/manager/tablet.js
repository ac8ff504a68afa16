// The floor manager's tablet. One page, four tabs. The hall comes live over the hub (hallops.live): every
// event schedules a reload of the dashboard (and of the open tab), so the screen shows what was committed;
// a raised alert also sounds a tone. Durations tick every second on the server's clock.
"use strict";
(function () {
  const H = window.hallops;
  const M = window.hallopsManager;
  const { esc, bi, either } = M;
  const winLabel = (n) => either(`${n} 号窗口`, `Window ${n}`);
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const hall = boot.hall.id;
  const $ = (sel) => document.querySelector(sel);

  const state = { tab: "live", dash: null, patrol: null, findingFilter: "open", findings: [], alerts: [],
                  soundOn: false, seenAlerts: new Set(), firstLoad: true };

  // -- helpers ---------------------------------------------------------------------------------------------
  const call = M.call; // an API call whose refusal is shown as a toast (manager/common.js)
  const windowsById = Object.fromEntries(boot.windows.map((w) => [w.id, w]));
  const windowOption = (w, mark) => M.option(w.id, `${mark}${w.number} 号 ${w.name}`,
                                             `${mark}${w.number} ${w.name_en || w.name}`, true);
  const itemName = (code) => {
    const it = boot.checklist.find((i) => i.code === code);
    return it ? it.name : (code === "other" ? "其他" : code);
  };

  // -- tabs ------------------------------------------------------------------------------------------------
  function showTab(tab) {
    state.tab = tab;
    document.querySelectorAll(".tabs [data-tab]").forEach((b) => {
      b.setAttribute("aria-selected", String(b.dataset.tab === tab));
      b.tabIndex = b.dataset.tab === tab ? 0 : -1;  // one tab stop; arrows move between tabs (ARIA tabs pattern)
    });
    document.querySelectorAll("section.tab").forEach((s) => { s.hidden = s.id !== `tab-${tab}`; });
    history.replaceState(null, "", `#${tab}`);
    refreshTab();
  }

  // -- the live hall ---------------------------------------------------------------------------------------
  function renderDashboard() {
    const d = state.dash;
    if (!d) return;
    const q = Object.fromEntries(d.quota.progress.map((p) => [p.kind, p]));
    const behind = d.quota.progress.some((p) => p.behind);
    $("#kpis").innerHTML = [
      [bi("今日取号", "Issued"), d.today.issued, ""],
      [bi("已办结", "Served"), d.today.served, ""],
      [bi("等候", "Waiting"), d.today.waiting, d.today.waiting > 0 ? "" : ""],
      [bi("全面巡查", "Full patrols"), `${q.full.done}/${q.full.quota}`, q.full.behind ? "bad" : (q.full.done >= q.full.quota && q.full.quota ? "ok" : "")],
      [bi("重点抽查", "Spot checks"), `${q.spot.done}/${q.spot.quota}`, q.spot.behind ? "bad" : (q.spot.done >= q.spot.quota && q.spot.quota ? "ok" : "")],
      [bi("未关闭问题", "Open findings"), d.findings.open, ""],
      [bi("超期", "Overdue"), d.findings.overdue, d.findings.overdue ? "bad" : ""],
    ].map(([label, value, cls]) => `<div class="kpi ${cls}"><b>${esc(value)}</b><span>${label}</span></div>`).join("");
    $("#badge-patrols").textContent = behind ? "!" : "";
    $("#badge-findings").textContent = d.findings.overdue ? String(d.findings.overdue) : "";
    $("#badge-alerts").textContent = d.alerts.length ? String(d.alerts.length) : "";

    $("#queues").innerHTML = d.queues.filter((x) => x.waiting || x.longest_wait_seconds).concat(
      d.queues.filter((x) => !x.waiting && !x.longest_wait_seconds)).slice(0, 16).map((x) => {
      const target = x.target_wait_minutes * 60;
      const wait = x.waiting ? x.longest_wait_seconds + 0 : 0;
      const ratio = target ? Math.min(1.5, wait / target) : 0;
      const cls = wait > target ? "bad" : (wait > target * 0.75 ? "warn" : "ok");
      return `<tr class="${x.waiting ? "" : "idle"}"><td class="qname"><b class="prefix">${esc(x.prefix)}</b> ${M.nm(x.name, x.name_en)}</td><td class="num">${x.waiting}</td>` +
        `<td><div class="meter ${cls}" data-oldest="${x.waiting ? esc(Date.parse(d.now) - x.longest_wait_seconds * 1000) : ""}" data-target="${target}"><i style="width:${(ratio / 1.5 * 100).toFixed(0)}%"></i>` +
        `<span class="wait-text">${x.waiting ? M.dur(wait) : "—"}</span> / ${x.target_wait_minutes}′</div></td></tr>`;
    }).join("");

    const maxH = Math.max(1, ...d.hourly.map((h) => Math.max(h.issued, h.served)));
    $("#hourly").innerHTML = d.hourly.length ? d.hourly.map((h) => `<div class="hour"><div class="bars">` +
      `<i class="issued" style="height:${(h.issued / maxH * 100).toFixed(0)}%" title="${h.issued}"></i>` +
      `<i class="served" style="height:${(h.served / maxH * 100).toFixed(0)}%" title="${h.served}"></i></div>` +
      `<small>${h.hour}:00</small><small class="n">${h.issued}/${h.served}</small></div>`).join("") : `<p class="muted">${bi("今日尚无取号", "No tickets yet today")}</p>`;

    const counts = { open: 0, paused: 0, closed: 0 };
    d.windows.forEach((w) => { counts[w.state] = (counts[w.state] || 0) + 1; });
    $("#window-summary").innerHTML = `${bi("服务中", "open")} ${counts.open} · ${bi("暂停", "paused")} ${counts.paused} · ${bi("未开放", "closed")} ${counts.closed}`;
    $("#windows").innerHTML = d.windows.map((w) => {
      let body = "";
      let cls = w.state;
      if (w.state === "open" && w.current) {
        cls += " busy";
        const st = w.current.status === "serving" ? ["办理中", "serving"] : ["已呼叫", "called"];
        body = `<b class="ticket">${esc(w.current.number)}</b> <small class="st-now">${bi(...st)}</small> ` +
          `<span class="tick" data-since="${esc(w.current.started_at || w.current.called_at)}"></span>`;
      } else if (w.state === "open") {
        const last = d.last_activity[String(w.id)];
        const idleSince = last && Date.parse(last) > Date.parse(w.state_since || 0) ? last : w.state_since;
        cls += " idle";
        body = `${bi("空闲", "idle")} <span class="tick" data-since="${esc(idleSince)}"></span>`;
      } else if (w.state === "paused") {
        body = `${bi("暂停", "paused")} <span class="tick" data-since="${esc(w.state_since)}"></span><small class="reason">${esc(w.pause_reason || "")}</small>`;
      } else {
        body = `<small>${bi("未开放", "closed")}</small>`;
      }
      return `<div class="win ${cls}${w.key_window ? " key" : ""}" data-window="${w.number}"><div class="wn"><b>${w.number}</b>${w.key_window ? "<i title=\"重点窗口\">★</i>" : ""}</div>` +
        `<div class="wc">${esc(w.clerk ? w.clerk.display_name : "")}</div><div class="wb">${body}</div></div>`;
    }).join("");
    renderBanner();
    tick();
  }

  function renderBanner() {
    const d = state.dash;
    const pending = (d ? d.alerts : []).filter((a) => !a.acknowledged_at);
    const el = $("#alert-banner");
    el.hidden = !pending.length;
    el.innerHTML = pending.slice(0, 3).map((a) => `<div class="alert-row ${esc(a.level)}" data-alert="${a.id}">` +
      `<span class="icon">⚠</span><span class="msg"><b>${bi(a.kind_name, a.kind_name_en)}</b> ${H.said(a.message)}</span>` +
      `<span class="tick" data-since="${esc(a.raised_at)}"></span>` +
      `<button type="button" class="ack" data-act="ack" data-id="${a.id}">${bi("确认", "Acknowledge")}</button></div>`).join("") +
      (pending.length > 3 ? `<div class="more">+${pending.length - 3} ${bi("条", "more")}</div>` : "");
    // A tone for each alert this tablet has not yet announced (not for those already there at load).
    const fresh = pending.filter((a) => !state.seenAlerts.has(a.id));
    pending.forEach((a) => state.seenAlerts.add(a.id));
    if (fresh.length && !state.firstLoad && state.soundOn) M.tone();
    state.firstLoad = false;
  }

  function tick() {
    document.querySelectorAll(".tick[data-since]").forEach((el) => {
      el.textContent = el.dataset.since ? M.dur(M.since(el.dataset.since)) : "";
    });
    document.querySelectorAll(".meter[data-oldest]").forEach((el) => {
      if (!el.dataset.oldest) return;
      const wait = (M.now() - Number(el.dataset.oldest)) / 1000;
      el.querySelector(".wait-text").textContent = M.dur(wait);
    });
  }

  async function loadDashboard() {
    const d = await H.api("GET", `/api/v1/halls/${hall}/dashboard`);
    M.syncClock(d.now);
    state.dash = d;
    renderDashboard();
    if (state.tab === "patrols") renderQuota();
  }

  // -- patrols ---------------------------------------------------------------------------------------------
  const KIND = { full: ["全面巡查", "Full patrol"], spot: ["重点窗口抽查", "Key-window spot check"] };

  function renderQuota() {
    const d = state.dash;
    if (!d) return;
    $("#quota").innerHTML = d.quota.progress.map((p) => {
      const pct = p.quota ? Math.min(100, p.done / p.quota * 100) : 0;
      const expPct = p.quota ? Math.min(100, p.expected / p.quota * 100) : 0;
      const note = !p.quota ? bi("今日不开放", "Closed today")
        : p.done >= p.quota ? bi("今日任务已完成", "Done for today")
        : p.behind ? `<b class="bad">${bi("落后", "behind by")} ${M.minutes(p.behind_minutes)}</b>`
        : `${bi("下一次截止", "next due by")} <b>${esc(p.next_due)}</b>`;
      return `<div class="panel qcard ${p.behind ? "behind" : ""}" data-kind="${p.kind}"><h2 class="qhead">${bi(...KIND[p.kind])}</h2>` +
        `<div class="qnum"><b>${p.done}</b> / ${p.quota} <small>${bi("此时应完成", "due by now")} <b>${p.expected}</b></small></div>` +
        `<div class="qbar"><i style="width:${pct}%"></i><em style="left:${expPct}%"></em></div><p>${note}</p></div>`;
    }).join("");
    const mine = d.quota.patrols.find((p) => p.status === "open");
    $("#patrol-list").innerHTML = d.quota.patrols.map((p) => `<tr data-patrol="${p.id}"><td>${M.hm(p.started_at)}–${M.hm(p.finished_at)}</td>` +
      `<td>${bi(...KIND[p.kind])}${p.window ? ` · ${winLabel(p.window)}` : ""}</td><td>${esc(p.inspector)}</td>` +
      `<td>${p.checked}/${p.items} ${bi("项", "items")}</td><td>${p.findings ? `<b class="bad">${p.findings} ${bi("个问题", "findings")}</b>` : bi("无问题", "no findings")}</td>` +
      `<td>${p.status === "open" ? `<button type="button" data-act="resume" data-id="${p.id}">${bi("继续", "Resume")}</button>` : bi("已完成", "Done")}</td></tr>`).join("") ||
      `<tr><td class="muted">${bi("今日尚未巡查", "No patrol yet today")}</td></tr>`;
    if (!state.patrol && mine && mine.inspector === boot.user.name) openPatrol(mine.id);
  }

  async function openPatrol(id) {
    state.patrol = await H.api("GET", `/api/v1/patrols/${id}`);
    renderPatrol();
  }

  function renderPatrol() {
    const p = state.patrol;
    const el = $("#patrol-run");
    $("#start-patrol").hidden = !!(p && p.status === "open");
    if (!p || p.status !== "open") { el.hidden = true; return; }
    el.hidden = false;
    const left = p.checklist.filter((i) => !i.result).length;
    el.innerHTML = `<h2>${bi(...KIND[p.kind])}${p.window ? ` · ${winLabel(p.window)}` : ""} <small>${M.hm(p.started_at)} ${esc(p.inspector)}</small></h2>` +
      `<ol class="checklist">${p.checklist.map((i) => {
        const n = p.finding_list.filter((f) => f.category === i.code).length;
        return `<li class="item ${i.result || ""}" data-item="${esc(i.code)}"><span class="iname">${bi(i.name, i.name_en)}</span>` +
          `${n ? `<span class="fcount">${n} ${bi("个问题", "finding(s)")}</span>` : ""}` +
          `<button type="button" class="pass" data-act="pass" aria-pressed="${i.result === "pass"}" ${n ? "disabled" : ""}>✓ ${bi("合格", "Pass")}</button>` +
          `<button type="button" class="fail" data-act="fail" aria-pressed="${i.result === "finding"}">✗ ${bi("问题", "Finding")}</button></li>`;
      }).join("")}</ol>` +
      `<div class="actions"><button type="button" data-act="cancel-patrol" ${p.findings ? "disabled" : ""}>${bi("取消巡查", "Cancel")}</button>` +
      `<span class="left">${left ? `${bi("未检查", "unchecked")} <b>${left}</b>` : bi("全部检查完毕", "All items checked")}</span>` +
      `<button type="button" class="primary big" data-act="finish-patrol" ${left ? "disabled" : ""}>${bi("完成巡查", "Finish patrol")}</button></div>`;
  }

  async function startPatrol(kind) {
    const body = { kind };
    if (kind === "spot") body.window = Number($("#spot-window").value);
    state.patrol = await call("POST", `/api/v1/halls/${hall}/patrols`, body);
    renderPatrol();
    loadDashboard();
  }

  async function check(code, result) {
    state.patrol = await call("POST", `/api/v1/patrols/${state.patrol.id}/checks`, { item: code, result });
    renderPatrol();
  }

  // -- findings: the form ----------------------------------------------------------------------------------
  const form = $("#finding-form-el");
  const dialog = $("#finding-form");
  // The default due date per severity comes from the server: working days on the hall's calendar (holidays
  // and make-up days), to the end of the due day. Asked again each time the form opens.
  let dues = {};
  function localInput(ms) {
    const d = new Date(ms + 8 * 3600 * 1000); // the hall's time (Asia/Shanghai, no DST)
    return d.toISOString().slice(0, 16);
  }
  function setDue() {
    const sev = form.querySelector("input[name=severity]:checked").value;
    const d = dues[sev];
    // the end of the due day (24:00) shown as its last minute, which the input can hold
    form.due_at.value = d ? localInput(Date.parse(d.due_at) - 60000) : "";
    form.due_at.dataset.auto = form.due_at.value; // left as it is, the server counts it (and knows if it is provisional)
    $("#ff-due-prov").hidden = !(d && d.provisional);
  }
  async function loadDues() {
    try { dues = await H.api("GET", `/api/v1/halls/${hall}/finding-dues`); } catch (e) { dues = {}; }
    setDue();
  }
  function openFindingForm(category) {
    form.reset();
    const cats = boot.checklist.concat([{ code: "other", name: "其他", name_en: "Other" }]);
    form.category.innerHTML = cats.map((c) => M.option(c.code, c.name, c.name_en)).join("");
    form.category.value = category || cats[0].code;
    const p = state.patrol && state.patrol.status === "open" ? state.patrol : null;
    form.window.innerHTML = `<option value="">—</option>` + boot.windows.map((w) => windowOption(w, "")).join("");
    form.window.value = p && p.window_id ? String(p.window_id) : "";
    form.responsible.innerHTML = M.option("", "自动：窗口当班人员", "Auto: whoever is at the window") +
      boot.staff.map((s) => M.option(s.id, `${s.display_name}（${s.role === "clerk" ? "窗口" : "管理"}）`,
                                     `${s.display_name} (${s.role === "clerk" ? "clerk" : "manager"})`, true)).join("");
    M.labelOptions(form);
    $("#ff-severity").querySelectorAll("label").forEach((l) => l.remove());
    $("#ff-severity").insertAdjacentHTML("beforeend", boot.severities.map((s, i) =>
      `<label><input type="radio" name="severity" value="${s}" ${i === 0 ? "checked" : ""}> ${bi(...M.SEVERITY[s])}</label>`).join(""));
    $("#ff-item").textContent = category ? `· ${itemName(category)}` : "";
    $("#ff-error").hidden = true;
    setDue();
    loadDues();
    dialog.showModal();
  }
  form.addEventListener("change", (ev) => { if (ev.target.name === "severity") setDue(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const p = state.patrol && state.patrol.status === "open" ? state.patrol : null;
      const body = {
        category: form.category.value, severity: form.querySelector("input[name=severity]:checked").value,
        description: form.description.value, area: form.area.value,
        due_at: form.due_at.value && form.due_at.value !== form.due_at.dataset.auto ? form.due_at.value + ":00+08:00" : null,
      };
      if (p) body.patrol = p.id;
      if (form.window.value) body.window = Number(form.window.value);
      if (form.responsible.value) body.responsible = Number(form.responsible.value);
      const f = await H.api("POST", `/api/v1/halls/${hall}/findings`, body);
      const file = form.photo.files[0];
      if (file) await M.uploadPhoto(f.id, file, "found");
      dialog.close();
      M.toast(`已登记问题 #${f.id} (finding recorded)`);
      if (p) await openPatrol(p.id);
      refreshTab();
    } catch (e) {
      $("#ff-error").textContent = e.message || String(e);
      $("#ff-error").hidden = false;
    } finally {
      btn.disabled = false;
    }
  });

  // -- findings: the list and the detail -------------------------------------------------------------------
  async function loadFindings() {
    const f = state.findingFilter;
    const q = f === "open" ? "open=1" : f === "overdue" ? "overdue=1" : f === "rectified" ? "status=rectified" : "";
    const data = await H.api("GET", `/api/v1/halls/${hall}/findings?${q}`);
    M.syncClock(state.dash && state.dash.now);
    state.findings = data.findings;
    $("#finding-list").innerHTML = data.findings.map((x) => `<tr class="finding ${x.overdue ? "overdue" : ""}" data-finding="${x.id}">` +
      `<td>#${x.id}</td><td><b>${bi(x.category_name, x.category_name_en)}</b><br><small>${M.subject(x)}</small></td>` +
      `<td class="desc">${esc(x.description)}</td><td>${M.sevTag(x.severity)}</td><td>${M.statusTag(x.status)} ${M.escTag(x.escalation)}</td>` +
      `<td class="due">${x.overdue ? `<b class="bad">${bi("已超期", "Overdue")}</b><br>` : ""}<small>${M.due(x)}</small></td>` +
      `<td>${esc(x.responsible.name || "")}</td></tr>`).join("") ||
      `<tr><td class="muted">${bi("没有符合条件的问题", "No findings here")}</td></tr>`;
  }

  async function openFinding(id) {
    const f = await H.api("GET", `/api/v1/findings/${id}`);
    const canVerify = f.status === "rectified" && f.rectified_by_user_id !== boot.user.id;
    const acts = [];
    if (["open", "reopened"].includes(f.status)) acts.push(`<button type="button" data-act="f-start">${bi("开始整改", "Begin")}</button>`);
    if (["open", "rectifying", "reopened"].includes(f.status)) acts.push(`<button type="button" class="primary" data-act="f-rectify">${bi("提交整改", "Report fix")}</button>`);
    // A supervision visit's finding is verified from the centre above, not by the centre's own managers.
    const fromAbove = f.visit_id && boot.actor_hall_id === f.hall_id;
    if (f.status === "rectified" && fromAbove) {
      acts.push(`<p class="muted">${bi("巡察发现的问题，由上级中心验收", "Found on a supervision visit: verified by the centre above")}</p>`);
    } else if (f.status === "rectified") {
      acts.push(`<button type="button" data-act="f-reopen">${bi("退回重改", "Reopen")}</button>`);
      acts.push(`<button type="button" class="primary big" data-act="f-verify" ${canVerify ? "" : "disabled title=\"不能验收本人提交的整改\""}>${bi("验收通过", "Verify")}</button>`);
    }
    $("#fd-body").innerHTML = `<h2>#${f.id} ${bi(f.category_name, f.category_name_en)} ${M.sevTag(f.severity)} ${M.statusTag(f.status)} ${M.escTag(f.escalation)}</h2>` +
      (f.escalation !== "none" ? `<p class="esc-note">${either(`30 天内同一窗口同类问题第 ${f.repeat_count} 次，建议${f.escalation === "interview" ? "约谈" : "发提醒告知函"}`, `Found ${f.repeat_count} times at this window in 30 days: ${f.escalation === "interview" ? "an interview" : "a reminder notice"} is advised`)}</p>` : "") +
      `<dl class="facts"><dt>${bi("对象", "About")}</dt><dd>${M.subject(f) || esc(f.area)}</dd>` +
      `<dt>${bi("责任人", "Responsible")}</dt><dd>${esc(f.responsible.name || "—")}</dd>` +
      `<dt>${bi("期限", "Due")}</dt><dd class="${f.overdue ? "bad" : ""}">${M.due(f)}${f.overdue ? " · 已超期 overdue" : ""}</dd>` +
      `<dt>${bi("描述", "Description")}</dt><dd>${esc(f.description)}</dd>` +
      (f.rectification ? `<dt>${bi("整改情况", "Fix")}</dt><dd>${esc(f.rectification)} <small>— ${esc(f.rectified_by)}</small></dd>` : "") +
      `</dl>${M.photos(f.photos)}${M.history(f.log)}` +
      (f.status !== "verified" ? `<label class="note"><span>${bi("说明", "Note")}</span><textarea id="fd-note" rows="2" maxlength="2000"></textarea></label>` +
        `<label class="photo-pick"><span>${bi("添加照片", "Add photo")}</span><input id="fd-photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment"></label>` : "") +
      `<p class="error" id="fd-error" hidden></p><div class="actions"><button type="button" data-act="close-dialog">${bi("关闭", "Close")}</button>${acts.join("")}</div>`;
    $("#fd-body").dataset.id = f.id;
    const dlg = $("#finding-detail");
    if (!dlg.open) dlg.showModal();
  }

  async function findingStep(action) {
    const id = Number($("#fd-body").dataset.id);
    const note = ($("#fd-note") || {}).value || "";
    const file = ($("#fd-photo") || { files: [] }).files[0];
    try {
      if (file) await M.uploadPhoto(id, file, action === "f-rectify" ? "rectified" : "found");
      const step = action.slice(2);
      await H.api("POST", `/api/v1/findings/${id}/${step}`, { note });
      await openFinding(id);
      refreshTab();
    } catch (e) {
      $("#fd-error").textContent = e.message || String(e);
      $("#fd-error").hidden = false;
    }
  }

  // -- alerts ----------------------------------------------------------------------------------------------
  async function loadAlerts() {
    const data = await H.api("GET", `/api/v1/halls/${hall}/alerts?limit=100`);
    state.alerts = data.alerts;
    $("#alert-list").innerHTML = data.alerts.map((a) => `<tr class="alert ${a.active ? "active" : "cleared"} ${esc(a.level)}" data-alert="${a.id}">` +
      `<td><b>${bi(a.kind_name, a.kind_name_en)}</b><br><small>${H.said(a.message)}</small></td><td>${M.dayHm(a.raised_at)}</td>` +
      `<td>${a.acknowledged_at ? `${esc(a.acknowledged_by)}<br><small>${M.hm(a.acknowledged_at)}${a.ack_note ? " · " + esc(a.ack_note) : ""}</small>` : "—"}</td>` +
      `<td>${a.cleared_at ? `${M.hm(a.cleared_at)}<br><small>${M.dur(a.duration_seconds)}</small>` : `<b class="bad">${bi("进行中", "Active")}</b>`}</td>` +
      `<td>${a.acknowledged_at ? "" : `<button type="button" class="ack" data-act="ack" data-id="${a.id}">${bi("确认", "Acknowledge")}</button>`}</td></tr>`).join("") ||
      `<tr><td class="muted">${bi("没有告警", "No alerts")}</td></tr>`;
  }

  async function acknowledge(id) {
    await call("POST", `/api/v1/alerts/${id}/acknowledge`, { note: "" });
    M.toast(`已确认告警 (acknowledged by ${boot.user.name})`);
    refreshAll();
  }

  // -- refreshing ------------------------------------------------------------------------------------------
  function refreshTab() {
    if (state.tab === "patrols") { renderQuota(); if (state.patrol) openPatrol(state.patrol.id).catch(() => {}); }
    if (state.tab === "findings") loadFindings().catch(() => {});
    if (state.tab === "alerts") loadAlerts().catch(() => {});
  }
  let pending = null;
  function refreshAll() {
    clearTimeout(pending);
    pending = setTimeout(() => { loadDashboard().then(refreshTab).catch(() => {}); }, 250);
  }

  // -- wiring ----------------------------------------------------------------------------------------------
  $("#spot-window").innerHTML = boot.windows.filter((w) => w.key_window).map((w) => windowOption(w, "★ ")).join("");
  M.labelOptions($("#spot-window"));

  // The tab list by keyboard: arrows, Home and End move between tabs and show the one reached.
  document.querySelector(".tablist").addEventListener("keydown", (ev) => {
    const tabs = Array.from(document.querySelectorAll(".tablist [role=tab]"));
    const at = tabs.indexOf(document.activeElement);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[ev.key];
    if (at < 0 || to === undefined) return;
    ev.preventDefault();
    const next = tabs[(to + tabs.length) % tabs.length];
    showTab(next.dataset.tab);
    next.focus();
  });

  document.addEventListener("click", async (ev) => {
    M.unlockAudio();
    const t = ev.target.closest("[data-tab],[data-act],[data-filter],[data-finding],[data-patrol]");
    if (!t) return;
    if (t.dataset.tab) return showTab(t.dataset.tab);
    if (t.dataset.filter) {
      state.findingFilter = t.dataset.filter;
      document.querySelectorAll("[data-filter]").forEach((b) => b.setAttribute("aria-pressed", String(b === t)));
      return loadFindings();
    }
    const act = t.dataset.act;
    try {
      if (act === "start-full") return await startPatrol("full");
      if (act === "start-spot") return await startPatrol("spot");
      if (act === "resume") return await openPatrol(Number(t.dataset.id));
      if (act === "pass") return await check(t.closest("[data-item]").dataset.item, "pass");
      if (act === "fail") return openFindingForm(t.closest("[data-item]").dataset.item);
      if (act === "new-finding") return openFindingForm(null);
      if (act === "finish-patrol") {
        state.patrol = await call("POST", `/api/v1/patrols/${state.patrol.id}/finish`, {});
        M.toast("巡查已完成 (patrol finished)");
        state.patrol = null; renderPatrol(); return refreshAll();
      }
      if (act === "cancel-patrol") {
        await call("POST", `/api/v1/patrols/${state.patrol.id}/cancel`);
        state.patrol = null; renderPatrol(); return refreshAll();
      }
      if (act === "close-dialog") { t.closest("dialog").close(); return; }
      if (act === "ack") return await acknowledge(Number(t.dataset.id));
      if (act === "evaluate") { await call("POST", `/api/v1/halls/${hall}/alerts/evaluate`, {}); return refreshAll(); }
      if (act && act.startsWith("f-")) return await findingStep(act);
      if (!act && t.dataset.finding) return await openFinding(Number(t.dataset.finding));
    } catch (e) { /* shown by call() */ }
  });

  const soundBtn = $("#sound-toggle");
  function setSound(on) {
    state.soundOn = on;
    soundBtn.setAttribute("aria-pressed", String(on));
    try { localStorage.setItem("hallops.manager.sound", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  soundBtn.addEventListener("click", () => { setSound(!state.soundOn); if (state.soundOn) M.tone(); });
  let savedSound = "1";
  try { savedSound = localStorage.getItem("hallops.manager.sound") || "1"; } catch (e) { /* private mode */ }
  setSound(savedSound === "1");

  const dot = $("#live-status");
  function connectLive() {
    if (!(H.live && H.live.connect)) { setInterval(refreshAll, 5000); return; }
    H.live.connect({
      hall, snapshot: false,
      onSnapshot() { refreshAll(); },
      onEvent(ev, info) {
        if (ev.type === "alert.raised" && !info.replay && state.soundOn) {
          state.seenAlerts.add(ev.payload.alert.id);
          M.tone();
        }
        refreshAll();
      },
      onStatus(status) { dot.dataset.status = status; },
    });
  }

  setInterval(tick, 1000);
  setInterval(refreshAll, 60000); // durations and overdue marks move with time, not only with events
  const first = (location.hash || "#live").slice(1);
  loadDashboard().then(() => showTab(["live", "patrols", "findings", "alerts"].includes(first) ? first : "live"))
    .catch((e) => M.toast(e.message || String(e), true));
  connectLive();
  window.hallopsTablet = { state, refreshAll };
})();
