// The staff page of 好差评 and 咨询投诉: the daily scan, this month's figures, follow-ups (with the appeal's
// evidence), cases and the window ranking. Every change goes through the JSON API; the page only shows it.
"use strict";
(function () {
  const root = document.getElementById("quality");
  const hall = root.dataset.hall, sup = root.dataset.supervisor === "1";
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const pct = (v) => (v == null ? "—" : (v * 100).toFixed(1) + "%");
  const api = (m, u, b) => hallops.api(m, u, b);
  const due = (x) => `<span class="${x.overdue ? "q-overdue" : ""}">${esc(x.due_day)}</span>${x.provisional ? ' <span class="q-prov" title="跨入未公布年份，期限待确认">待定</span>' : ""}`;

  async function scan() {
    const { scan } = await api("GET", `/api/v1/halls/${hall}/deadline-scan`);
    if (!scan) { $("q-scan-body").textContent = "尚未扫描 (no scan yet)"; return; }
    const li = (e, cls) => `<li class="${cls}">${esc(e.title)} · ${esc(e.who)} · ${esc(e.due_day)}</li>`;
    $("q-scan-body").innerHTML = `<p>${esc(scan.day)}：一个工作日内到期 <b>${scan.due_soon.length}</b> 件，已超期 <b class="q-overdue">${scan.overdue.length}</b> 件，巡查问题超期 ${scan.findings_overdue} 件</p>
      <ul>${scan.overdue.map((e) => li(e, "q-overdue")).join("")}${scan.due_soon.map((e) => li(e, "q-soon")).join("")}</ul>`;
  }

  async function figures() {
    if (!sup) return;
    const f = await api("GET", `/api/v1/halls/${hall}/quality-figures?period=month`);
    const k = (label, v) => `<div class="q-kpi">${label}<b>${v}</b></div>`;
    $("q-kpis").innerHTML = k("满意率", pct(f.ratings.satisfaction_rate)) + k("评价数", f.ratings.rated) + k("差评", f.ratings.bad)
      + k("未评价", f.ratings.levels.unrated) + k("咨询投诉办结率", pct(f.cases.completion_rate)) + k("按时办结率", pct(f.cases.on_time_rate))
      + k("超期", f.cases.overdue + f.followups.overdue) + k("差评处理办结率", pct(f.followups.completion_rate));
  }

  async function followups() {
    const { followups } = await api("GET", `/api/v1/halls/${hall}/followups?open=1`);
    $("q-followups").tBodies[0].innerHTML = followups.map((f) => `<tr><td>${esc(f.rating.ticket_number)}</td><td>${esc(f.rating.level_name)}</td>
      <td>${esc(f.rating.window_number || "—")} 号 · ${esc(f.clerk_name || "")}</td><td>${esc(f.status_name)}</td><td>${due(f)}</td>
      <td><button type="button" class="q-btn" data-followup="${f.id}">办理 <small>Open</small></button></td></tr>`).join("") || '<tr><td colspan="6">无待办 (none)</td></tr>';
  }

  const STEPS = { open: ["verify", "appeal", "remind"], verified: ["rectify", "appeal", "remind"], rectified: ["answer", "remind"],
    answered: ["close"], appealed: ["uphold", "reject"] };
  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: root.dataset.tz }) : "");
  const NAMES = { opened: "差评转办", verify: "核实", rectify: "整改", answer: "回访", close: "办结", appeal: "申诉", uphold: "申诉成立", reject: "驳回申诉", remind: "催办" };

  async function openFollowup(id) {
    const f = await api("GET", `/api/v1/followups/${id}`);
    const ev = f.evidence;
    const steps = (STEPS[f.status] || []).filter((s) => sup ? s !== "appeal" : !["close", "uphold", "reject", "remind"].includes(s));
    $("q-followup").hidden = false;
    $("q-followup").innerHTML = `<h3>${esc(f.rating.ticket_number)} · ${esc(f.rating.level_name)} · ${esc(f.rating.reason_names.join("、"))} ${esc(f.rating.comment)}</h3>
      <p>等候 ${ev.wait_minutes ?? "—"} 分钟（目标 ${ev.target_wait_minutes} 分钟${ev.waited_over_target ? "，<b class='q-overdue'>超时</b>" : ""}），重呼 ${ev.recalls} 次，转移 ${ev.transfers} 次，
      当日窗口暂停 ${ev.window_pauses.filter((p) => p.type === "window.paused").length} 次，当日该窗口巡查问题 ${ev.findings.length} 个</p>
      <ol>${f.log.map((l) => `<li>${esc(when(l.at))} ${esc(l.by)} ${esc(NAMES[l.action] || l.action)} ${esc(l.note)}</li>`).join("")}</ol>
      <textarea id="q-note" rows="2" cols="60" placeholder="说明 Note"></textarea>
      <select id="q-way"><option value="phone">电话回访</option><option value="sms">短信回访</option><option value="visit">上门回访</option><option value="onsite">现场回访</option></select>
      <select id="q-result"><option value="satisfied">满意</option><option value="basic">基本满意</option><option value="dissatisfied">仍不满意</option><option value="unreachable">联系不上</option></select>
      <p>${steps.map((s) => `<button type="button" class="q-btn" data-step="${s}" data-id="${f.id}">${NAMES[s]}</button>`).join(" ")}</p><p class="q-overdue" id="q-err"></p>`;
  }

  async function cases() {
    const { cases } = await api("GET", `/api/v1/halls/${hall}/cases?open=1`);
    $("q-cases").tBodies[0].innerHTML = cases.map((c) => `<tr><td>${esc(c.ref || c.id)}</td><td>${esc(c.source_name)}</td><td>${esc(c.subject)}</td>
      <td>${esc(c.assignee_name || c.department_name || "未交办")}</td><td>${esc(c.status_name)}${c.extension_pending ? "（延期待批）" : ""}</td><td>${due(c)}</td>
      <td>${sup ? `<button type="button" class="q-btn" data-remind="${c.id}">催办 <small>Remind</small></button>` : ""}</td></tr>`).join("") || '<tr><td colspan="7">无在办 (none)</td></tr>';
  }

  async function scores() {
    if (!sup) return;
    const s = await api("GET", `/api/v1/halls/${hall}/window-scores`);
    const v = (x) => (x == null ? "—" : x);
    $("q-scores").tBodies[0].innerHTML = s.windows.filter((w) => w.score != null).slice(0, 10).map((w) => `<tr><td>${w.rank}</td><td>${w.number} 号</td><td>${esc(w.clerk_name || "")}</td>
      <td><b>${w.score}</b></td><td>${v(w.parts.rating)}</td><td>${v(w.parts.wait)}</td><td>${v(w.parts.finding)}</td><td>${v(w.parts.case)}</td></tr>`).join("") || '<tr><td colspan="8">本月暂无数据 (no data this month)</td></tr>';
  }

  const STATES = { pending: "待发送", delivered: "已送达", failed: "失败" };
  const KINDS = { rating: "评价", followup: "整改回访", scan: "到期扫描", bad_rating: "差评提醒" };
  async function deliveries() {
    if (!sup) return;
    const { deliveries } = await api("GET", `/api/v1/halls/${hall}/quality-deliveries`);
    $("q-deliveries").tBodies[0].innerHTML = deliveries.slice(0, 20).map((d) => `<tr><td>${esc(when(d.created_at))}</td>
      <td>${d.target === "province" ? "省好差评系统" : "工作群"}</td><td>${esc(KINDS[d.kind] || d.kind)}</td><td>${esc(d.case_number || "")}</td>
      <td class="${d.state === "failed" ? "q-overdue" : ""}">${STATES[d.state]}</td><td>${d.attempts}</td><td>${esc(d.last_error)}</td>
      <td>${d.state === "failed" ? `<button type="button" class="q-btn" data-retry="${d.id}">重发 <small>Retry</small></button>` : ""}</td></tr>`).join("")
      || '<tr><td colspan="8">暂无 (none)</td></tr>';
  }

  const admin = root.dataset.admin === "1";
  const yearSel = $("q-year");
  let calendarAsked = 0;  // only the latest year asked for is shown: an earlier answer arriving late is dropped
  async function calendar() {
    if (!yearSel) return;
    if (!yearSel.options.length) {
      const y = new Date().getFullYear();
      for (const v of [y - 1, y, y + 1, y + 2]) yearSel.add(new Option(String(v), String(v), false, v === y));
    }
    const asked = ++calendarAsked;
    const c = await api("GET", `/api/v1/halls/${hall}/calendar?year=${yearSel.value}`);
    if (asked !== calendarAsked) return;
    const mine = c.confirmed_years.some((y) => y.year === c.year);
    $("q-cal-known").innerHTML = c.known ? `${c.year} 年节假日已知（${mine ? "本厅已录入并确认" : "按国务院办公厅通知"}）`
      : `<b class="q-overdue">${c.year} 年节假日尚未公布</b>：跨入该年的期限按周一至周五暂计并标为“待定”，请公布后录入并确认。`;
    $("q-cal-days").innerHTML = c.special_days.map((d) => `<span class="${d.workday ? "q-soon" : ""}">${d.day.slice(5)}${d.workday ? "班" : "休"}</span>`).join(" ") || "—";
    $("q-overrides").tBodies[0].innerHTML = c.overrides.filter((o) => o.day.startsWith(String(c.year))).map((o) => `<tr><td>${esc(o.day)}</td>
      <td>${o.workday ? "上班" : "休息"}</td><td>${esc(o.note)}</td><td>${admin ? `<button type="button" class="q-btn" data-unset="${esc(o.day)}">删除 <small>Remove</small></button>` : ""}</td></tr>`).join("")
      || '<tr><td colspan="4">无本厅设定 (no overrides)</td></tr>';
  }

  root.addEventListener("change", (ev) => { if (ev.target === yearSel) calendar(); });
  const calForm = $("q-cal-form");
  if (calForm) calForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(calForm));
    try { await api("POST", `/api/v1/halls/${hall}/calendar`, { days: [{ day: d.day, workday: d.workday === "true", note: d.note }] }); await calendar(); }
    catch (e) { alert(e.message); }
  });

  root.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    try {
      if (b.dataset.followup) await openFollowup(b.dataset.followup);
      if (b.dataset.step) {
        await api("POST", `/api/v1/followups/${b.dataset.id}/${b.dataset.step}`, { note: $("q-note").value, way: $("q-way").value, result: $("q-result").value });
        await openFollowup(b.dataset.id); await followups();
      }
      if (b.dataset.remind) { await api("POST", `/api/v1/cases/${b.dataset.remind}/remind`, { note: "请抓紧办理" }); await cases(); }
      if (b.dataset.retry) { await api("POST", `/api/v1/halls/${hall}/quality-deliveries/${b.dataset.retry}/retry`, {}); await deliveries(); }
      if (b.dataset.unset) { await api("POST", `/api/v1/halls/${hall}/calendar`, { days: [{ day: b.dataset.unset, workday: null }] }); await calendar(); }
      if (b.id === "q-confirm-year") { await api("POST", `/api/v1/halls/${hall}/calendar`, { years: [{ year: Number(yearSel.value), confirmed: true }] }); await calendar(); }
      if (b.id === "q-scan-now") { await api("POST", `/api/v1/halls/${hall}/deadline-scan`, {}); await scan(); }
    } catch (e) { const err = $("q-err"); if (err) err.textContent = e.message; else alert(e.message); }
  });
  const form = $("q-new-case");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    try { await api("POST", `/api/v1/halls/${hall}/cases`, d); form.reset(); await cases(); } catch (e) { alert(e.message); }
  });
  Promise.all([scan(), figures(), followups(), cases(), scores(), deliveries(), calendar()]).catch((e) => console.error(e));
})();
