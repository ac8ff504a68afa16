// The district's supervision page (巡察): the plan's coverage of the centres below (a bar against the share due by
// now, the centres not yet visited, the longest unvisited first), starting a visit on site or remote, its
// checklist and findings, and for a remote visit the centre's live state and recent events beside it, read
// again every 10 s. Everything the page shows comes from the server; nothing is derived here but labels.
"use strict";
(function () {
  const H = window.hallops;
  const M = window.hallopsManager;
  const { esc, bi, nm } = M;
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const root = boot.hall;
  const $ = (sel) => document.querySelector(sel);
  const TZ = "Asia/Shanghai";
  const LIVE_SECONDS = 10;

  const state = { cov: boot.coverage, visit: null, live: null, liveTimer: null, dues: {} };

  const LEVEL = { district: ["区级中心", "District"], street: ["街道", "Street"], new_town: ["新城", "New town"],
                  community: ["社区", "Community"] };
  const MODE = { on_site: ["现场巡察", "On site"], remote: ["网络监查", "Remote"] };
  const PERIOD = { year: ["每年全覆盖", "Every year"], half: ["每半年全覆盖", "Every half year"],
                   quarter: ["每季度全覆盖", "Every quarter"], month: ["每月全覆盖", "Every month"] };
  const EVENT = {
    "ticket.issued": ["取号", "Issued"], "ticket.called": ["呼叫", "Called"], "ticket.recalled": ["重呼", "Recalled"],
    "ticket.started": ["开始办理", "Serving"], "ticket.parked": ["挂起", "Parked"], "ticket.finished": ["办结", "Done"],
    "ticket.no_show": ["过号", "No-show"], "ticket.cancelled": ["取消", "Cancelled"],
    "ticket.transferred": ["转移", "Transferred"], "ticket.expired": ["过期", "Expired"],
    "window.opened": ["开窗", "Window open"], "window.paused": ["暂停", "Paused"], "window.resumed": ["恢复", "Resumed"],
    "window.closed": ["关窗", "Window closed"], "alert.raised": ["告警", "Alert"], "alert.cleared": ["告警解除", "Alert cleared"],
    "patrol.started": ["开始巡查", "Patrol"], "patrol.finished": ["巡查完成", "Patrol done"],
    "finding.opened": ["登记问题", "Finding"], "finding.rectified": ["提交整改", "Fix reported"],
    "finding.verified": ["整改验收", "Fix verified"], "rating.given": ["评价", "Rating"], "day.closed": ["日结", "Day closed"],
    "layout.changed": ["设置调整", "Set-up changed"], "appointments.booked": ["预约", "Booked"],
    "case.changed": ["咨询投诉", "Case"], "followup.changed": ["差评回访", "Follow-up"],
  };
  const levelTag = (l) => `<span class="lvl">${bi(...(LEVEL[l] || [l, l]))}</span>`;
  const modeTag = (m) => `<span class="mode mode-${esc(m)}">${bi(...(MODE[m] || [m, m]))}</span>`;
  const day = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: TZ }) : "");

  const call = M.call; // an API call whose refusal is shown as a toast (manager/common.js)

  // -- the plan's coverage -----------------------------------------------------------------------------------
  function periodName(c) {
    const y = c.period_start.slice(0, 4);
    const m = Number(c.period_start.slice(5, 7));
    if (c.period === "half") return M.either(`${y}年${m === 1 ? "上" : "下"}半年`, `${y} H${m === 1 ? 1 : 2}`);
    if (c.period === "quarter") return M.either(`${y}年第${(m + 2) / 3}季度`, `${y} Q${(m + 2) / 3}`);
    if (c.period === "month") return M.either(`${y}年${m}月`, `${y}-${String(m).padStart(2, "0")}`);
    return M.either(`${y}年度`, y);
  }

  function centreRow(h, withButtons) {
    const last = h.last_visit ? `${bi("上次", "last")} ${esc(day(h.last_visit.at))} ${modeTag(h.last_visit.mode)}`
      : `<span class="never">${bi("从未巡察", "never visited")}</span>`;
    const name = h.name_en ? `${h.name} ${h.name_en}` : h.name;
    // Named by what it shows and then the centre (the visible words first: WCAG 2.5.3).
    const START = { on_site: ["现场", "On site"], remote: ["网络", "Remote"] };
    const buttons = withButtons ? Object.keys(START).map((m) => `<button type="button" data-act="start" data-mode="${m}" data-hall="${h.id}" ` +
      `aria-label="${esc(START[m].join(" "))}: ${esc(name)}">${bi(...START[m])}</button>`).join("") : "";
    return `<li data-hall="${h.id}"><span class="sv-who"><b>${nm(h.name, h.name_en)}</b><small>${levelTag(h.level)} ${last}</small></span>${buttons}</li>`;
  }

  function renderCoverage() {
    const c = state.cov;
    $("#coverage").classList.toggle("behind", c.behind);
    $("#cov-period").innerHTML = `${periodName(c)} <span class="muted">${esc(c.period_start)} – ${esc(c.period_end)}</span>`;
    const pct = c.total ? Math.min(100, (c.visited / c.total) * 100) : 100;
    const exp = c.total ? Math.min(100, (c.expected / c.total) * 100) : 0;
    $("#cov-body").innerHTML = !c.total ? `<p class="muted">${bi("下级无中心", "No centres below this one")}</p>` :
      `<div class="cov-num"><b>${c.visited}</b> / ${c.total} <span class="pct">${c.percent}%</span></div>` +
      `<div class="cov-bar" role="img" aria-label="已巡察 ${c.visited} / ${c.total}，此时应完成 ${c.expected} (visited ${c.visited} of ${c.total}, ${c.expected} expected by now)">` +
      `<i style="width:${pct.toFixed(1)}%"></i><em style="left:${exp.toFixed(1)}%"></em></div>` +
      `<p class="cov-note">${bi("此时应完成", "expected by now")} <b>${c.expected}</b> · ` +
      `${c.behind ? `<b class="bad">${bi("进度落后", "behind")}</b>` : `<span>${bi("进度正常", "on track")}</span>`}</p>`;
    $("#left-count").textContent = c.not_visited.length ? String(c.not_visited.length) : "";
    $("#not-visited").innerHTML = c.not_visited.map((h) => centreRow(h, true)).join("") ||
      `<li class="muted">${bi("本期已全部巡察", "Every centre visited this period")}</li>`;
    const visited = c.visited_centres.slice().sort((a, b) => Date.parse(b.last_visit.at) - Date.parse(a.last_visit.at));
    $("#visited").innerHTML = visited.map((h) => centreRow(h, false)).join("") ||
      `<li class="muted">${bi("本期尚未巡察任何中心", "No centre visited yet this period")}</li>`;
    $("#running-panel").hidden = !c.in_progress.length;
    $("#running").innerHTML = c.in_progress.map((v) => `<li><span class="sv-who"><b>${nm(v.hall.name, v.hall.name_en)}</b>` +
      `<small>${modeTag(v.mode)} ${esc(v.inspector)} ${M.hm(v.started_at)} · ${v.checked}/${v.items}</small></span>` +
      `<button type="button" data-act="resume" data-id="${v.id}">${bi("继续", "Resume")}</button></li>`).join("");
    const pick = $("#period-pick");
    pick.hidden = c.hall.parent_id !== null;
    const sel = $("#period-select");
    if (!sel.options.length) {
      sel.innerHTML = Object.keys(PERIOD).map((p) => M.option(p, ...PERIOD[p])).join("");
      M.labelOptions(pick);
    }
    sel.value = c.period;
  }

  async function loadCoverage() {
    state.cov = await H.api("GET", `/api/v1/halls/${root.id}/supervision/coverage`);
    renderCoverage();
  }

  // -- the visit ---------------------------------------------------------------------------------------------
  async function openVisit(id) {
    state.visit = await call("GET", `/api/v1/supervision/visits/${id}`);
    renderVisit();
    $("#visit-run h2").focus();
  }

  function renderVisit() {
    const v = state.visit;
    const box = $("#sv-visit");
    $("#sv-grid").classList.toggle("visiting", !!(v && v.status === "started"));
    if (!v || v.status !== "started") {
      box.hidden = true;
      $("#sv-empty").hidden = false;
      stopLive();
      return;
    }
    box.hidden = false;
    $("#sv-empty").hidden = true;
    box.className = `sv-visit ${v.mode}`;
    const left = v.checklist.filter((i) => !i.result).length;
    const findings = v.finding_list;
    $("#visit-run").innerHTML =
      `<h2 class="visit-head" tabindex="-1">${nm(v.hall.name, v.hall.name_en)} ${levelTag(v.hall.level)} ${modeTag(v.mode)} ` +
      `<small>${M.hm(v.started_at)} ${esc(v.inspector)}</small></h2>` +
      `<ol class="checklist">${v.checklist.map((i) => {
        const n = findings.filter((f) => f.category === i.code).length;
        return `<li class="item ${esc(i.result || "")}" data-item="${esc(i.code)}"><span class="iname">${bi(i.name, i.name_en)}</span>` +
          `${n ? `<span class="fcount">${n} ${bi("个问题", "finding(s)")}</span>` : ""}` +
          `<button type="button" class="pass" data-act="pass" aria-pressed="${i.result === "pass"}" ${n ? "disabled" : ""}>✓ ${bi("合格", "Pass")}</button>` +
          `<button type="button" class="fail" data-act="fail" aria-pressed="${i.result === "finding"}">✗ ${bi("问题", "Finding")}</button></li>`;
      }).join("")}</ol>` +
      (findings.length ? `<h3>${bi("本次发现的问题", "Findings of this visit")} (${findings.length})</h3><ol class="visit-findings">${findings.map((f) =>
        `<li>#${f.id} <b>${bi(f.category_name, f.category_name_en)}</b> ${M.sevTag(f.severity)} ${M.statusTag(f.status)} ` +
        `${esc(f.description)} <small>— ${bi("责任人", "responsible")} ${esc(f.responsible.name || "—")} · ${bi("期限", "due")} ${M.due(f)}</small></li>`).join("")}</ol>` : "") +
      `<label class="visit-note"><span>${bi("巡察情况", "Summary")}</span><textarea id="visit-note" rows="2" maxlength="2000">${esc(v.note)}</textarea></label>` +
      `<div class="actions"><button type="button" data-act="cancel-visit" ${findings.length ? "disabled" : ""}>${bi("取消巡察", "Cancel visit")}</button>` +
      `<button type="button" data-act="new-finding">${bi("登记其他问题", "Other finding")}</button>` +
      `<span class="left">${left ? `${bi("未检查", "unchecked")} <b>${left}</b>` : bi("全部检查完毕", "All items checked")}</span>` +
      `<button type="button" class="primary big" data-act="finish-visit" ${left ? "disabled" : ""}>${bi("完成巡察", "Finish visit")}</button></div>`;
    if (v.mode === "remote") startLive(); else stopLive();
  }

  async function startVisit(hallId, mode) {
    try {
      state.visit = await H.api("POST", `/api/v1/halls/${hallId}/supervision/visits`, { mode });
    } catch (e) {
      M.toast(e.message || String(e), true);
      if (e.code === "visit_in_progress" && e.detail && e.detail.visit) await openVisit(e.detail.visit).catch(() => {});
      return;
    }
    renderVisit();
    $("#visit-run h2").focus();
    loadCoverage().catch(() => {});
  }

  async function check(code, result) {
    state.visit = await call("POST", `/api/v1/supervision/visits/${state.visit.id}/checks`, { item: code, result });
    renderVisit();
  }

  // -- the centre's live state (a remote visit) --------------------------------------------------------------
  function stopLive() {
    clearInterval(state.liveTimer);
    state.liveTimer = null;
    state.live = null;
    $("#visit-live").hidden = true;
  }

  function startLive() {
    $("#visit-live").hidden = false;
    if (state.liveTimer) return;
    loadLive().catch(() => {});
    state.liveTimer = setInterval(() => loadLive().catch(() => {}), LIVE_SECONDS * 1000);
  }

  async function loadLive() {
    const hallId = state.visit.hall.id;
    const s = await H.api("GET", `/api/v1/halls/${hallId}/state`);
    const e = await H.api("GET", `/api/v1/halls/${hallId}/events?after=${Math.max(0, s.seq - 40)}`);
    if (!state.visit || state.visit.hall.id !== hallId) return;
    M.syncClock(s.now);
    state.live = { state: s, events: e.events };
    renderLive();
  }

  function eventText(ev) {
    const p = ev.payload || {};
    const parts = [];
    if (p.ticket && p.ticket.number) parts.push(`<b>${esc(p.ticket.number)}</b>`);
    const w = p.window && typeof p.window === "object" ? p.window.number : p.window;
    if (w) parts.push(M.either(`${w} 号窗口`, `window ${w}`));
    if (p.reason && typeof p.reason === "string" && ev.type === "window.paused") parts.push(esc(p.reason));
    return parts.join(" ");
  }

  function renderLive() {
    const { state: s, events } = state.live;
    const waiting = s.queues.reduce((n, q) => n + q.waiting, 0);
    const count = (st) => s.windows.filter((w) => w.state === st).length;
    const windowBody = (w) => {
      if (w.state === "open" && w.current) return `<b class="ticket">${esc(w.current.number)}</b> <span class="tick" data-since="${esc(w.current.started_at || w.current.called_at)}">${M.dur(M.since(w.current.started_at || w.current.called_at))}</span>`;
      if (w.state === "open") return `${bi("空闲", "idle")} <span class="tick">${M.dur(M.since(w.state_since))}</span>`;
      if (w.state === "paused") return `${bi("暂停", "paused")} <span class="tick">${M.dur(M.since(w.state_since))}</span><small class="reason">${esc(w.pause_reason || "")}</small>`;
      return `<small>${bi("未开放", "closed")}</small>`;
    };
    $("#visit-live").innerHTML =
      `<h2>${bi("实时状况", "Live state")} <small class="refreshed">${bi("每 10 秒更新", "every 10 s")} · ${M.hm(s.now)}</small></h2>` +
      `<div class="kpis">${[[bi("等候", "Waiting"), waiting], [bi("今日取号", "Issued"), s.today.issued], [bi("已办结", "Served"), s.today.served],
        [bi("窗口 开/停/关", "Windows open/paused/closed"), `${count("open")}/${count("paused")}/${count("closed")}`]]
        .map(([label, value]) => `<div class="kpi"><b>${esc(value)}</b><span>${label}</span></div>`).join("")}</div>` +
      `<h3>${bi("业务排队", "Queues")}</h3><table class="queues"><thead><tr><th>${bi("业务", "Queue")}</th><th>${bi("等候", "Waiting")}</th><th>${bi("最长等候", "Longest")}</th></tr></thead><tbody>` +
      (s.queues.map((q) => `<tr class="${q.waiting ? "" : "idle"}"><td class="qname"><b class="prefix">${esc(q.prefix)}</b> ${nm(q.name, q.name_en)}</td>` +
        `<td class="num">${q.waiting}</td><td>${q.waiting ? M.dur(q.longest_wait_seconds) : "—"} / ${q.target_wait_minutes}′</td></tr>`).join("") ||
        `<tr><td class="muted" colspan="3">${bi("无业务队列", "No queues")}</td></tr>`) + `</tbody></table>` +
      `<h3>${bi("窗口", "Windows")}</h3><div class="windows">${s.windows.map((w) => `<div class="win ${esc(w.state)}${w.state === "open" && !w.current ? " idle" : ""}" data-window="${w.number}">` +
        `<div class="wn"><b>${w.number}</b>${w.key_window ? "<i title=\"重点窗口\">★</i>" : ""}</div><div class="wc">${esc(w.clerk ? w.clerk.display_name : "")}</div>` +
        `<div class="wb">${windowBody(w)}</div></div>`).join("") || `<p class="muted">${bi("无窗口", "No windows")}</p>`}</div>` +
      `<h3>${bi("最近事件", "Recent events")}</h3><ol class="events" id="live-events">${events.slice().reverse().map((ev) =>
        `<li><time>${M.hm(ev.at)}</time><span class="ev-type">${bi(...(EVENT[ev.type] || [ev.type, ev.type]))}</span><span>${eventText(ev)}</span></li>`).join("") ||
        `<li class="muted">${bi("暂无事件", "No events yet")}</li>`}</ol>`;
  }

  // -- findings ----------------------------------------------------------------------------------------------
  const form = $("#finding-form-el");
  const dialog = $("#finding-form");
  function localInput(ms) {
    return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16); // the hall's time (Asia/Shanghai, no DST)
  }
  function setDue() {
    const d = state.dues[form.querySelector("input[name=severity]:checked").value];
    form.due_at.value = d ? localInput(Date.parse(d.due_at) - 60000) : ""; // the end of the due day, as its last minute
    form.due_at.dataset.auto = form.due_at.value; // left as it is, the server counts it
  }
  async function openFindingForm(category) {
    const v = state.visit;
    form.reset();
    const cats = v.checklist.concat([{ code: "other", name: "其他", name_en: "Other" }]);
    form.category.innerHTML = cats.map((c) => M.option(c.code, c.name, c.name_en)).join("");
    form.category.value = category || cats[0].code;
    $("#ff-centre").innerHTML = `· ${nm(v.hall.name, v.hall.name_en)}`;
    $("#ff-severity").querySelectorAll("label").forEach((l) => l.remove());
    $("#ff-severity").insertAdjacentHTML("beforeend", boot.severities.map((s, i) =>
      `<label><input type="radio" name="severity" value="${s}" ${i === 0 ? "checked" : ""}> ${bi(...M.SEVERITY[s])}</label>`).join(""));
    form.window.innerHTML = `<option value="">—</option>`;
    $("#ff-error").hidden = true;
    dialog.showModal();
    const [s, dues] = await Promise.all([
      state.live ? Promise.resolve(state.live.state) : H.api("GET", `/api/v1/halls/${v.hall.id}/state`).catch(() => null),
      H.api("GET", `/api/v1/halls/${v.hall.id}/finding-dues`).catch(() => ({})),
    ]);
    if (s) form.window.innerHTML += s.windows.map((w) => M.option(w.id, `${w.number} 号 ${w.name}`, `${w.number} ${w.name_en || w.name}`, true)).join("");
    M.labelOptions(form);
    state.dues = dues;
    setDue();
  }
  form.addEventListener("change", (ev) => { if (ev.target.name === "severity") setDue(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const body = {
        category: form.category.value, severity: form.querySelector("input[name=severity]:checked").value,
        description: form.description.value, area: form.area.value, responsible_name: form.responsible_name.value,
      };
      if (form.due_at.value && form.due_at.value !== form.due_at.dataset.auto) body.due_at = form.due_at.value + ":00+08:00";
      if (form.window.value) body.window = Number(form.window.value);
      const out = await H.api("POST", `/api/v1/supervision/visits/${state.visit.id}/findings`, body);
      dialog.close();
      state.visit = out;
      renderVisit();
      M.toast(`已登记问题 #${out.finding.id}，交 ${out.finding.responsible.name || "该中心"} 整改 (finding recorded)`);
    } catch (e) {
      $("#ff-error").innerHTML = H.said(e.message || String(e));
      $("#ff-error").hidden = false;
    } finally {
      btn.disabled = false;
    }
  });

  // -- wiring ------------------------------------------------------------------------------------------------
  document.addEventListener("click", async (ev) => {
    const t = ev.target.closest("[data-act]");
    if (!t || t.disabled) return;
    const act = t.dataset.act;
    try {
      if (act === "start") return await startVisit(Number(t.dataset.hall), t.dataset.mode);
      if (act === "resume") return await openVisit(Number(t.dataset.id));
      if (act === "pass") return await check(t.closest("[data-item]").dataset.item, "pass");
      if (act === "fail") return await openFindingForm(t.closest("[data-item]").dataset.item);
      if (act === "new-finding") return await openFindingForm("other");
      if (act === "close-dialog") { t.closest("dialog").close(); return; }
      if (act === "finish-visit") {
        const v = await call("POST", `/api/v1/supervision/visits/${state.visit.id}/finish`, { note: $("#visit-note").value });
        M.toast(`${v.hall.name} 巡察已完成 (visit finished)`);
        state.visit = null; renderVisit();
        return await loadCoverage();
      }
      if (act === "cancel-visit") {
        await call("POST", `/api/v1/supervision/visits/${state.visit.id}/cancel`);
        state.visit = null; renderVisit();
        return await loadCoverage();
      }
    } catch (e) { /* shown by call() */ }
  });
  document.addEventListener("change", async (ev) => {
    if (ev.target.id === "visit-note" && state.visit) {
      state.visit = await call("PATCH", `/api/v1/supervision/visits/${state.visit.id}`, { note: ev.target.value }).catch(() => state.visit);
    }
    if (ev.target.id === "period-select") {
      state.cov = await call("PUT", `/api/v1/halls/${root.id}/supervision/plan`, { period: ev.target.value }).catch(() => state.cov);
      renderCoverage();
    }
  });

  renderCoverage();
  // The visit this person left running is opened again (a reload, or the tablet going to sleep).
  const mine = state.cov.in_progress.find((v) => v.inspector === boot.user.name);
  if (mine) openVisit(mine.id).catch(() => {});
  setInterval(() => loadCoverage().catch(() => {}), 60000);
  window.hallopsSupervision = { state };
})();
