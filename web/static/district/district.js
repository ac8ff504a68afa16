// The district's live view: every centre below this one side by side, worst first, over one websocket.
// The server sends rows of figures (hallops/http/district.py); a row's longest wait is carried as each queue's
// oldest waiting ticket, so the waits move on here with the server's clock between updates. Reconnecting, the
// page gives the board's epoch and the last revision it saw, and is sent exactly the rows changed since.
"use strict";
(function () {
  const root = document.getElementById("district");
  const hall = root.dataset.hall;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const bi = (zh, en) => `<span class="zh">${zh}</span> <small class="en">${en}</small>`;
  const LEVEL = { district: ["区级", "District"], street: ["街道", "Street"], new_town: ["新城", "New town"], community: ["社区", "Community"] };
  // Reconnects with full jitter (web/static/js/live.js): the first retry anywhere in 0–3 s, the window doubling to
  // 15 s; a connection that lived LIVED_MS makes the next retry a first again.
  const SILENCE_MS = 25000, FIRST_RETRY_MS = 3000, BACKOFF_MAX = 15000, LIVED_MS = 10000;

  const rows = new Map(); // hall id → row
  let order = [];         // the subtree's hall ids in tree order
  let epoch = null, rev = null, skew = 0, ws = null, attempt = 0, openedAt = 0, heard = 0, drawPending = false;
  const now = () => Date.now() + skew;

  function parseTime(iso) { return Date.parse(iso); }
  function longest(row, at) {
    let wait = 0, ratio = 0;
    for (const q of row.queues) {
      if (!q.oldest_at) continue;
      const w = Math.max(0, (at - parseTime(q.oldest_at)) / 1000);
      wait = Math.max(wait, w);
      ratio = Math.max(ratio, w / (60 * Math.max(1, q.target_wait_minutes)));
    }
    return [wait, ratio];
  }
  const owed = (r) => Math.max(0, r.full_quota - r.full_done) + Math.max(0, r.spot_quota - r.spot_done);
  const problems = (r, at) => longest(r, at)[1] > 1 || r.findings_overdue > 0 || r.cases_overdue > 0;
  const mmss = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

  function sorted(at) {
    const sort = $("d-sort").value, level = $("d-level").value, parent = $("d-parent").value;
    const q = $("d-q").value.trim(), onlyBad = $("d-problems").checked;
    const under = parent ? descendants(Number(parent)) : null;
    const list = order.map((id) => rows.get(id)).filter((r) => r && (!level || r.level === level)
      && (!under || under.has(r.hall_id)) && (!q || r.name.includes(q) || r.code.includes(q.toLowerCase()))
      && (!onlyBad || problems(r, at)));
    const key = {
      worst: (r) => [-longest(r, at)[1], -(r.findings_overdue + r.cases_overdue), -r.waiting],
      waiting: (r) => [-r.waiting, -longest(r, at)[1]],
      findings: (r) => [-r.findings_overdue, -r.findings_open],
      patrols: (r) => [-owed(r)],
      name: () => [0],
    }[sort];
    return list.map((r, i) => [key(r), i, r]).sort((a, b) => {
      for (let k = 0; k < a[0].length; k++) if (a[0][k] !== b[0][k]) return a[0][k] - b[0][k];
      return a[1] - b[1];
    }).map((x) => x[2]);
  }

  function descendants(id) {
    const out = new Set([id]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const r of rows.values()) if (r.parent_id !== null && out.has(r.parent_id) && !out.has(r.hall_id)) { out.add(r.hall_id); grew = true; }
    }
    return out;
  }

  function kpis(list, at) {
    const sum = (k) => list.reduce((n, r) => n + r[k], 0);
    const over = list.filter((r) => longest(r, at)[1] > 1).length;
    const k = (zh, en, v, bad) => `<div class="d-kpi ${bad ? "bad" : ""}">${bi(zh, en)}<b>${v}</b></div>`;
    $("d-kpis").innerHTML = k("中心", "Centres", list.length) + k("开放窗口", "Windows open", `${sum("windows_open")} / ${sum("windows_total")}`)
      + k("等候", "Waiting", sum("waiting")) + k("超目标等候", "Over target", over, over > 0)
      + k("今日办结", "Served today", sum("served")) + k("巡查欠缺", "Patrols owed", list.reduce((n, r) => n + owed(r), 0))
      + k("超期问题", "Overdue findings", sum("findings_overdue"), sum("findings_overdue") > 0)
      + k("超期件", "Late cases", sum("cases_overdue"), sum("cases_overdue") > 0);
  }

  function draw() {
    drawPending = false;
    const at = now();
    const list = sorted(at);
    kpis(list, at);
    $("d-count").textContent = `${list.length} / ${order.length}`;
    $("d-rows").innerHTML = list.map((r) => {
      const [wait, ratio] = longest(r, at);
      const target = r.queues.reduce((t, q) => (q.oldest_at ? Math.min(t, q.target_wait_minutes) : t), Infinity);
      const lv = LEVEL[r.level] || [r.level, r.level];
      const cls = ratio > 1 ? "bad" : ratio > 0.75 ? "warn" : "";
      const pct = Math.min(100, Math.round(ratio * 100));
      const patrolCls = owed(r) > 0 ? "warn" : "ok";
      return `<tr data-hall="${r.hall_id}" data-code="${esc(r.code)}" class="${problems(r, at) ? "problem" : ""}">
        <th scope="row"><a href="/manager/${encodeURIComponent(r.code)}" title="进入该中心现场管理 Open this centre's manager view">${esc(r.name)}</a>
          <small class="lv lv-${esc(r.level)}">${bi(...lv)}</small></th>
        <td class="num">${r.windows_open} / ${r.windows_total}${r.windows_paused ? ` <small class="muted">${bi("暂停 " + r.windows_paused, r.windows_paused + " paused")}</small>` : ""}</td>
        <td class="num"><b>${r.waiting}</b></td>
        <td class="wait ${cls}"><span class="bar"><i style="width:${pct}%"></i></span> <b>${r.waiting ? mmss(wait) : "—"}</b>${isFinite(target) ? ` <small class="muted">/ ${target}′</small>` : ""}</td>
        <td class="num">${r.issued} / ${r.served}</td>
        <td class="patrol ${patrolCls}">${bi("全面", "full")} ${r.full_done}/${r.full_quota} · ${bi("抽查", "spot")} ${r.spot_done}/${r.spot_quota}</td>
        <td class="num ${r.findings_overdue ? "bad" : ""}">${r.findings_open} / <b>${r.findings_overdue}</b></td>
        <td class="num ${r.cases_overdue ? "bad" : ""}">${r.followups_open} / <b>${r.cases_overdue}</b></td></tr>`;
    }).join("");
  }
  function redraw() { if (!drawPending) { drawPending = true; requestAnimationFrame(draw); } }

  function parents() {
    const sel = $("d-parent"), keep = sel.value;
    const ps = order.map((id) => rows.get(id)).filter((r) => r && order.some((c) => { const x = rows.get(c); return x && x.parent_id === r.hall_id; }));
    sel.innerHTML = `<option value="">全部 All</option>` + ps.map((r) => `<option value="${r.hall_id}">${esc(r.name)}</option>`).join("");
    sel.value = keep;
  }

  function status(s) { $("live-status").dataset.status = s; }

  function take(msg) {
    heard = Date.now();
    if (msg.now) skew = parseTime(msg.now) - Date.now();
    if (msg.type === "hello") {
      if (msg.full) rows.clear();
      epoch = msg.epoch; order = msg.halls;
      for (const id of [...rows.keys()]) if (!order.includes(id)) rows.delete(id);
      for (const r of msg.rows) rows.set(r.hall_id, r);
      rev = msg.rev;
      $("d-loading").hidden = true; $("d-table").hidden = false;
      parents(); redraw();
    } else if (msg.type === "centres") {
      if (msg.halls) { order = msg.halls; for (const id of [...rows.keys()]) if (!order.includes(id)) rows.delete(id); }
      for (const r of msg.rows) rows.set(r.hall_id, r);
      rev = Math.max(rev || 0, msg.rev);
      if (msg.halls) parents();
      redraw();
    }
    root.dataset.rev = String(rev);
  }

  function connect() {
    status("connecting");
    const q = epoch !== null && rev !== null ? `?epoch=${encodeURIComponent(epoch)}&rev=${rev}` : "";
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/district/${encodeURIComponent(hall)}/live${q}`);
    ws.onopen = () => { status("open"); openedAt = heard = Date.now(); };
    ws.onmessage = (e) => {
      const data = JSON.parse(e.data);
      for (const m of Array.isArray(data) ? data : [data]) take(m);
    };
    ws.onclose = (e) => {
      status("lost");
      if (e.code === 4401) { location.reload(); return; }
      if (openedAt && Date.now() - openedAt >= LIVED_MS) attempt = 0;
      openedAt = 0;
      const wait = Math.random() * Math.min(BACKOFF_MAX, FIRST_RETRY_MS * Math.pow(2, Math.min(attempt, 10)));
      attempt += 1;
      setTimeout(connect, wait);
    };
  }

  setInterval(() => {
    if (ws && ws.readyState === WebSocket.OPEN && Date.now() - heard > SILENCE_MS) ws.close();
    if (rows.size) redraw(); // waits move on
  }, 1000);
  $("d-controls").addEventListener("input", redraw);
  $("d-controls").addEventListener("submit", (e) => e.preventDefault());
  hallops.district = { rows, get rev() { return rev; }, get epoch() { return epoch; }, drop() { if (ws) ws.close(); } };
  connect();
})();
