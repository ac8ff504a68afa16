// The staff page of 好差评 and 咨询投诉: the daily scan, this month's figures, follow-ups (with the appeal's
// evidence), cases and the window ranking. Every change goes through the JSON API; the page only shows it.
// Chinese first, English second, as every staff page (manager/common.js: bi, either, option): the server's
// records carry their keys (status, source, level, reasons), and the labels of both languages live here.
"use strict";
(function () {
  const root = document.getElementById("quality");
  const hall = root.dataset.hall, sup = root.dataset.supervisor === "1";
  const $ = (id) => document.getElementById(id);
  const { esc, bi, either, option, labelOptions } = window.hallopsManager;
  const pct = (v) => (v == null ? "—" : (v * 100).toFixed(1) + "%");
  const api = (m, u, b) => hallops.api(m, u, b);
  // One phrase per language around markup of its own (numbers in <b>): never the numbers twice.
  const eitherHtml = (zh, en) => `<span class="zh">${zh}</span><span class="en-only">${en}</span>`;
  const pair = (table, key, fallback) => (table[key] ? bi(...table[key]) : esc(fallback || key));
  const none = (cols, zh, en) => `<tr><td colspan="${cols}">${bi(zh, en)}</td></tr>`;
  const due = (x) => `<span class="${x.overdue ? "q-overdue" : ""}">${esc(x.due_day)}</span>${x.provisional ? ` <span class="q-prov" title="跨入未公布年份，期限待确认 (counted into a year whose holidays are not yet published)">${bi("待定", "provisional")}</span>` : ""}`;
  const windowNo = (n) => (n == null ? "—" : either(`${n} 号`, `No. ${n}`));

  const LEVELS = { very_satisfied: ["非常满意", "Very satisfied"], satisfied: ["满意", "Satisfied"], basic: ["基本满意", "Fairly satisfied"],
    dissatisfied: ["不满意", "Dissatisfied"], very_dissatisfied: ["非常不满意", "Very dissatisfied"], unrated: ["未评价", "Unrated"] };
  const REASONS = { long_wait: ["等候时间过长", "Waited too long"], attitude: ["服务态度不好", "Unfriendly service"],
    unclear: ["一次性告知不清楚", "Requirements not explained at once"], runs: ["多次跑动", "Had to come back several times"],
    slow: ["办理时间过长", "Service took too long"], absent: ["窗口人员不在岗", "Clerk not at the window"],
    system: ["系统故障", "System failure"], other: ["其他", "Other"] };
  const FOLLOWUP = { open: ["待核实", "To verify"], verified: ["已核实", "Verified"], rectified: ["已整改", "Rectified"],
    answered: ["已回访", "Answered"], closed: ["已办结", "Closed"], appealed: ["申诉中", "Appealed"], voided: ["申诉成立", "Appeal upheld"] };
  const CASE = { received: ["已受理", "Received"], assigned: ["已交办", "Assigned"], in_progress: ["办理中", "In progress"],
    replied: ["已答复", "Replied"], closed: ["已办结", "Closed"] };
  const SOURCES = { "12345": ["12345热线", "12345 hotline"], hotline: ["大厅热线", "Hall hotline"],
    supervision: ["督查平台", "Supervision platform"], counter: ["现场", "At the hall"], online: ["网上", "Online"] };
  const WAYS = [["phone", "电话回访", "By phone"], ["sms", "短信回访", "By text message"], ["visit", "上门回访", "Home visit"], ["onsite", "现场回访", "At the hall"]];
  const RESULTS = [["satisfied", "满意", "Satisfied"], ["basic", "基本满意", "Fairly satisfied"], ["dissatisfied", "仍不满意", "Still dissatisfied"],
    ["unreachable", "联系不上", "Could not be reached"]];

  async function scan() {
    const { scan } = await api("GET", `/api/v1/halls/${hall}/deadline-scan`);
    if (!scan) { $("q-scan-body").innerHTML = bi("尚未扫描", "No scan yet"); return; }
    const li = (e, cls) => `<li class="${cls}">${scanTitle(e)} · ${scanWho(e)} · ${esc(e.due_day)}</li>`;
    const soon = scan.due_soon.length, late = scan.overdue.length;
    $("q-scan-body").innerHTML = `<p>${esc(scan.day)}${eitherHtml(
      `：一个工作日内到期 <b>${soon}</b> 件，已超期 <b class="q-overdue">${late}</b> 件，巡查问题超期 ${scan.findings_overdue} 件`,
      `: <b>${soon}</b> due within a working day, <b class="q-overdue">${late}</b> overdue, ${scan.findings_overdue} patrol findings overdue`)}</p>
      <ul>${scan.overdue.map((e) => li(e, "q-overdue")).join("")}${scan.due_soon.map((e) => li(e, "q-soon")).join("")}</ul>`;
  }
  // A scan entry's title as storage words it (cases/scan in storage/cases.py): a case's is its subject, as
  // typed; a follow-up's and a finding's are said again here in both languages from what the title holds.
  function scanTitle(e) {
    const m = /^差评\s*(\S+)$/.exec(e.title || "");
    if (e.subject === "followup" && m) return either(`差评 ${m[1]}`, `Bad rating ${m[1]}`);
    if (e.subject === "finding") return either(e.title, `Patrol finding #${e.id}`);
    return esc(e.title);
  }
  const scanWho = (e) => (e.who === "未交办" ? bi("未交办", "unassigned") : esc(e.who));

  async function figures() {
    if (!sup) return;
    const f = await api("GET", `/api/v1/halls/${hall}/quality-figures?period=month`);
    const k = (zh, en, v) => `<div class="q-kpi">${bi(zh, en)}<b>${esc(v)}</b></div>`;
    $("q-kpis").innerHTML = k("满意率", "Satisfaction", pct(f.ratings.satisfaction_rate)) + k("评价数", "Ratings", f.ratings.rated)
      + k("差评", "Bad ratings", f.ratings.bad) + k("未评价", "Unrated", f.ratings.levels.unrated)
      + k("咨询投诉办结率", "Cases completed", pct(f.cases.completion_rate)) + k("按时办结率", "Completed on time", pct(f.cases.on_time_rate))
      + k("超期", "Overdue", f.cases.overdue + f.followups.overdue) + k("差评处理办结率", "Follow-ups completed", pct(f.followups.completion_rate));
  }

  async function followups() {
    const { followups } = await api("GET", `/api/v1/halls/${hall}/followups?open=1`);
    $("q-followups").tBodies[0].innerHTML = followups.map((f) => `<tr><td>${esc(f.rating.ticket_number)}</td><td>${level(f.rating)}</td>
      <td>${windowNo(f.rating.window_number)} · ${esc(f.clerk_name || "")}</td><td>${pair(FOLLOWUP, f.status, f.status_name)}</td><td>${due(f)}</td>
      <td><button type="button" class="q-btn" data-followup="${f.id}">${bi("办理", "Open")}</button></td></tr>`).join("") || none(6, "无待办", "none");
  }

  const STEPS = { open: ["verify", "appeal", "remind"], verified: ["rectify", "appeal", "remind"], rectified: ["answer", "remind"],
    answered: ["close"], appealed: ["uphold", "reject"] };
  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: root.dataset.tz }) : "");
  const NAMES = { opened: ["差评转办", "Opened"], verify: ["核实", "Verify"], rectify: ["整改", "Rectify"], answer: ["回访", "Answer"],
    close: ["办结", "Close"], appeal: ["申诉", "Appeal"], uphold: ["申诉成立", "Uphold the appeal"], reject: ["驳回申诉", "Reject the appeal"],
    remind: ["催办", "Remind"] };
  // Who did a step: a person's name, or the server itself (storage logs it as 系统); notes the server writes
  // read "中文 (English)" (hallops.said shows each in its language), staff's notes as they typed them.
  const by = (name) => (name === "系统" ? bi("系统", "System") : esc(name));
  const level = (r) => pair(LEVELS, r.given_level || r.level, r.level_name);
  const reasons = (r) => (r.reasons || []).map((k, i) => pair(REASONS, k, (r.reason_names || [])[i]))
    .join('<span class="zh">、</span><span class="en-only">, </span>');

  async function openFollowup(id) {
    const f = await api("GET", `/api/v1/followups/${id}`);
    const ev = f.evidence;
    const steps = (STEPS[f.status] || []).filter((s) => sup ? s !== "appeal" : !["close", "uphold", "reject", "remind"].includes(s));
    $("q-followup").hidden = false;
    const wait = ev.wait_minutes ?? "—", pauses = ev.window_pauses.filter((p) => p.type === "window.paused").length;
    const over = ev.waited_over_target;
    $("q-followup").innerHTML = `<h3>${esc(f.rating.ticket_number)} · ${level(f.rating)} · ${reasons(f.rating)} ${esc(f.rating.comment)}</h3>
      <p>${eitherHtml(`等候 ${esc(wait)} 分钟（目标 ${esc(ev.target_wait_minutes)} 分钟${over ? "，<b class='q-overdue'>超时</b>" : ""}），重呼 ${esc(ev.recalls)} 次，转移 ${esc(ev.transfers)} 次，
      当日窗口暂停 ${pauses} 次，当日该窗口巡查问题 ${ev.findings.length} 个`,
      `Waited ${esc(wait)} min (target ${esc(ev.target_wait_minutes)} min${over ? ", <b class='q-overdue'>over target</b>" : ""}), recalled ${esc(ev.recalls)} times, transferred ${esc(ev.transfers)} times;
      that day the window paused ${pauses} times, and patrols found ${ev.findings.length} problems there`)}</p>
      <ol>${f.log.map((l) => `<li>${esc(when(l.at))} ${by(l.by)} ${pair(NAMES, l.action)} ${hallops.said(l.note)}</li>`).join("")}</ol>
      <textarea id="q-note" rows="2" cols="60" placeholder="说明 Note" data-ph-zh="说明" data-ph-en="Note" aria-label="说明 Note"></textarea>
      <select id="q-way" aria-label="回访方式 Way of answering">${WAYS.map(([k, zh, en]) => option(k, zh, en)).join("")}</select>
      <select id="q-result" aria-label="回访结果 Result">${RESULTS.map(([k, zh, en]) => option(k, zh, en)).join("")}</select>
      <p>${steps.map((s) => `<button type="button" class="q-btn" data-step="${s}" data-id="${f.id}">${bi(...NAMES[s])}</button>`).join(" ")}</p><p class="q-overdue" id="q-err" role="alert"></p>`;
    labelOptions($("q-followup")); placeholders($("q-followup"));
  }

  async function cases() {
    const { cases } = await api("GET", `/api/v1/halls/${hall}/cases?open=1`);
    $("q-cases").tBodies[0].innerHTML = cases.map((c) => `<tr><td>${esc(c.ref || c.id)}</td><td>${pair(SOURCES, c.source, c.source_name)}</td><td>${esc(c.subject)}</td>
      <td>${c.assignee_name || c.department_name ? esc(c.assignee_name || c.department_name) : bi("未交办", "unassigned")}</td>
      <td>${pair(CASE, c.status, c.status_name)}${c.extension_pending ? ` ${bi("（延期待批）", "(extension to approve)")}` : ""}</td><td>${due(c)}</td>
      <td>${sup ? `<button type="button" class="q-btn" data-remind="${c.id}">${bi("催办", "Remind")}</button>` : ""}</td></tr>`).join("") || none(7, "无在办", "none");
  }

  async function scores() {
    if (!sup) return;
    const s = await api("GET", `/api/v1/halls/${hall}/window-scores`);
    const v = (x) => (x == null ? "—" : x);
    $("q-scores").tBodies[0].innerHTML = s.windows.filter((w) => w.score != null).slice(0, 10).map((w) => `<tr><td>${esc(w.rank)}</td><td>${windowNo(w.number)}</td><td>${esc(w.clerk_name || "")}</td>
      <td><b>${esc(w.score)}</b></td><td>${esc(v(w.parts.rating))}</td><td>${esc(v(w.parts.wait))}</td><td>${esc(v(w.parts.finding))}</td><td>${esc(v(w.parts.case))}</td></tr>`).join("")
      || none(8, "本月暂无数据", "no data this month");
  }

  const STATES = { pending: ["待发送", "Waiting"], delivered: ["已送达", "Delivered"], failed: ["失败", "Failed"] };
  const KINDS = { rating: ["评价", "Rating"], followup: ["整改回访", "Follow-up answered"], scan: ["到期扫描", "Deadline scan"],
    bad_rating: ["差评提醒", "Bad-rating alert"] };
  const TARGETS = { province: ["省好差评系统", "Province rating system"], webhook: ["工作群", "Work group"] };
  async function deliveries() {
    if (!sup) return;
    const { deliveries } = await api("GET", `/api/v1/halls/${hall}/quality-deliveries`);
    $("q-deliveries").tBodies[0].innerHTML = deliveries.slice(0, 20).map((d) => `<tr><td>${esc(when(d.created_at))}</td>
      <td>${pair(TARGETS, d.target)}</td><td>${pair(KINDS, d.kind)}</td><td>${esc(d.case_number || "")}</td>
      <td class="${d.state === "failed" ? "q-overdue" : ""}">${pair(STATES, d.state)}</td><td>${esc(d.attempts)}</td><td>${esc(d.last_error)}</td>
      <td>${d.state === "failed" ? `<button type="button" class="q-btn" data-retry="${d.id}">${bi("重发", "Retry")}</button>` : ""}</td></tr>`).join("")
      || none(8, "暂无", "none");
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
    const y = esc(c.year);
    $("q-cal-known").innerHTML = c.known
      ? eitherHtml(`${y} 年节假日已知（${mine ? "本厅已录入并确认" : "按国务院办公厅通知"}）`,
                   `${y}: days off are known (${mine ? "entered and confirmed by this hall" : "as the State Council's General Office published them"})`)
      : eitherHtml(`<b class="q-overdue">${y} 年节假日尚未公布</b>：跨入该年的期限按周一至周五暂计并标为“待定”，请公布后录入并确认。`,
                   `<b class="q-overdue">${y}: days off not yet published</b>. Deadlines that reach into it count Monday to Friday and are marked provisional; enter the days and confirm the year once they are published.`);
    $("q-cal-days").innerHTML = c.special_days.map((d) => `<span class="${d.workday ? "q-soon" : ""}">${either(d.day.slice(5) + (d.workday ? "班" : "休"), d.day.slice(5) + (d.workday ? " worked" : " off"))}</span>`).join(" ") || "—";
    $("q-overrides").tBodies[0].innerHTML = c.overrides.filter((o) => o.day.startsWith(String(c.year))).map((o) => `<tr><td>${esc(o.day)}</td>
      <td>${o.workday ? bi("上班", "Worked") : bi("休息", "Day off")}</td><td>${esc(o.note)}</td><td>${admin ? `<button type="button" class="q-btn" data-unset="${esc(o.day)}">${bi("删除", "Remove")}</button>` : ""}</td></tr>`).join("")
      || none(4, "无本厅设定", "no overrides");
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
    } catch (e) { const err = $("q-err"); if (err) err.innerHTML = hallops.said(e.message); else alert(e.message); }
  });
  const form = $("q-new-case");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    try { await api("POST", `/api/v1/halls/${hall}/cases`, d); form.reset(); await cases(); } catch (e) { alert(e.message); }
  });
  // Placeholders hold plain text, as options do: English alone in English, both in Chinese.
  function placeholders(within) {
    const en = hallops.lang() === "en";
    within.querySelectorAll("[data-ph-en]").forEach((i) => { i.placeholder = en ? i.dataset.phEn : `${i.dataset.phZh} ${i.dataset.phEn}`; });
  }
  new MutationObserver(() => placeholders(root)).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  labelOptions(root); placeholders(root);
  Promise.all([scan(), figures(), followups(), cases(), scores(), deliveries(), calendar()]).catch((e) => console.error(e));
})();
