// On the floor manager's tablet: a strip with the open bad-rating follow-ups and the last daily deadline scan
// (due within a working day, overdue), refreshed live; a new bad rating or a scan flashes it and sounds the
// tablet's alert tone. It keeps its own live connection, so the tablet's own code is untouched.
"use strict";
(function () {
  const el = document.getElementById("quality-strip");
  if (!el || !window.hallops) return;
  const H = window.hallops, M = window.hallopsManager;
  const hall = el.dataset.hall;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  let last = null;

  async function refresh() {
    try {
      const [fu, sc] = await Promise.all([H.api("GET", `/api/v1/halls/${hall}/followups?open=1`),
                                          H.api("GET", `/api/v1/halls/${hall}/deadline-scan`)]);
      const open = fu.followups.length, overdue = fu.followups.filter((f) => f.overdue).length;
      const scan = sc.scan;
      el.innerHTML = `<a href="/quality/${esc(hall)}" class="q-strip">` +
        `<span class="q-item${open ? " warn" : ""}"><b>${open}</b> <span class="zh">差评待处理</span> <small class="en">bad ratings open</small>` +
        (overdue ? ` · <b class="bad">${overdue}</b> <span class="zh">超期</span>` : "") + `</span>` +
        (scan ? `<span class="q-item"><span class="zh">${esc(scan.day)} 到期扫描：</span><small class="en">Scan:</small> ` +
          `<b>${scan.due_soon.length}</b> <span class="zh">件将到期</span> <small class="en">due soon</small> · ` +
          `<b class="${scan.overdue.length ? "bad" : ""}">${scan.overdue.length}</b> <span class="zh">件超期</span> <small class="en">overdue</small></span>` : "") +
        `<span class="q-go"><span class="zh">好差评与咨询投诉 ›</span> <small class="en">Ratings & cases</small></span></a>`;
      el.hidden = false;
      last = { open, overdue };
    } catch (e) { /* the tablet shows connection trouble itself */ }
  }

  function flash(text) {
    el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash");
    if (M && M.tone) M.tone();
    if (M && M.toast) M.toast(text);
  }

  refresh();
  setInterval(refresh, 60000);
  if (H.live && H.live.connect) {
    H.live.connect({
      hall, snapshot: false,
      onSnapshot() { refresh(); },
      onEvent(ev, info) {
        if (!["rating.given", "followup.changed", "deadline.scan", "case.changed"].includes(ev.type)) return;
        refresh();
        if (info && info.replay) return;
        if (ev.type === "rating.given" && ev.payload.bad) {
          const r = ev.payload.rating;
          flash(`差评：${r.window_number || "—"} 号窗口 ${r.ticket_number} ${r.level_name} (bad rating)`);
        } else if (ev.type === "deadline.scan") {
          flash(`到期扫描：${ev.payload.due_soon.length} 件将到期，${ev.payload.overdue.length} 件超期 (daily scan)`);
        }
      },
    });
  }
  window.hallopsQualityStrip = { refresh, get last() { return last; } };
})();
