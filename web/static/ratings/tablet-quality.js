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
  // The toast is one line of text: in the page's language (the two bad levels are the only ones flashed).
  const LEVELS_EN = { dissatisfied: "Dissatisfied", very_dissatisfied: "Very dissatisfied" };

  async function refresh() {
    try {
      const [fu, sc] = await Promise.all([H.api("GET", `/api/v1/halls/${hall}/followups?open=1`),
                                          H.api("GET", `/api/v1/halls/${hall}/deadline-scan`)]);
      const open = fu.followups.length, overdue = fu.followups.filter((f) => f.overdue).length;
      const scan = sc.scan;
      el.innerHTML = `<a href="/quality/${esc(hall)}" class="q-strip">` +
        `<span class="q-item${open ? " warn" : ""}"><b>${open}</b> <span class="zh">差评待处理</span> <small class="en">bad ratings open</small>` +
        (overdue ? ` · <b class="bad">${overdue}</b> <span class="zh">超期</span> <small class="en">overdue</small>` : "") + `</span>` +
        (scan ? `<span class="q-item"><span class="zh">${esc(scan.day)} 到期扫描：</span><span class="en-only">Scan ${esc(scan.day)}:</span> ` +
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
        const en = H.lang() === "en";
        if (ev.type === "rating.given" && ev.payload.bad) {
          const r = ev.payload.rating, w = r.window_number || "—";
          flash(en ? `Bad rating: window ${w}, ${r.ticket_number}, ${LEVELS_EN[r.level] || r.level}`
                   : `差评：${w} 号窗口 ${r.ticket_number} ${r.level_name}`);
        } else if (ev.type === "deadline.scan") {
          const soon = ev.payload.due_soon.length, late = ev.payload.overdue.length;
          flash(en ? `Daily scan: ${soon} due soon, ${late} overdue` : `到期扫描：${soon} 件将到期，${late} 件超期`);
        }
      },
    });
  }
  window.hallopsQualityStrip = { refresh, get last() { return last; } };
})();
