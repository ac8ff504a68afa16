// What every display screen shares: its settings, the hall's state kept current from live events, the clock,
// the "connection lost" banner, and which calls are spoken.
//   hallops.board.start({ render(state), onCall(call, fresh) })  -> {state, live, announcer, config}
// A call is {ticket_id, number, queue, window, window_id, window_name, area, called_at, recall_count, kind}.
"use strict";
(function () {
  const RECENT = 12;
  const FRESH_SECONDS = 30;        // a call caught up after a reconnect is spoken only if this recent
  const RESYNC_MS = 5 * 60 * 1000; // take a fresh snapshot now and then: counts derived from events may drift

  const config = JSON.parse(document.getElementById("display-config").textContent);
  const settings = config.settings;

  function apply(state, ev) {
    const p = ev.payload || {};
    const t = p.ticket;
    const win = id => state.windows.find(w => w.id === id);
    const queue = prefix => state.queues.find(q => q.prefix === prefix) || { waiting: 0 };
    const clear = () => {
      const w = t && t.window_id ? win(t.window_id) : (p.window ? win(p.window.id) : null);
      if (w && w.current && w.current.id === t.id) w.current = null;
    };
    let call = null;
    switch (ev.type) {
      case "ticket.issued": queue(t.queue).waiting += 1; break;
      case "ticket.called":
      case "ticket.recalled": {
        if (!p.window) break;
        const w = win(p.window.id);
        if (w) w.current = { id: t.id, number: t.number, status: "called", called_at: ev.at, recall_count: t.recall_count };
        if (ev.type === "ticket.called" && p.reason !== "call_back") {
          const q = queue(t.queue); q.waiting = Math.max(0, q.waiting - 1);
        }
        call = { ticket_id: t.id, number: t.number, queue: t.queue, window: p.window.number, window_id: p.window.id,
                 window_name: p.window.name, area: p.window.area, called_at: ev.at, recall_count: t.recall_count,
                 kind: ev.type === "ticket.recalled" ? "recall" : "call" };
        state.latest_calls = [call].concat(state.latest_calls.filter(c => c.ticket_id !== t.id)).slice(0, RECENT);
        break;
      }
      case "ticket.started": {
        const w = t.window_id ? win(t.window_id) : null;
        if (w && w.current && w.current.id === t.id) w.current.status = "serving";
        break;
      }
      case "ticket.parked": case "ticket.finished": case "ticket.no_show": clear(); break;
      case "ticket.transferred": clear(); queue((p.to && p.to.queue) || t.queue).waiting += 1; break;
      case "ticket.cancelled":
        if (p.window) clear(); else { const q = queue(t.queue); q.waiting = Math.max(0, q.waiting - 1); }
        break;
      case "window.opened": case "window.paused": case "window.resumed": case "window.closed": {
        const w = win(p.window.id);
        if (w) { w.state = p.window.state; w.pause_reason = p.window.pause_reason; w.clerk = p.window.clerk; }
        break;
      }
    }
    return call;
  }

  function start(hooks) {
    const announcer = new hallops.Announcer({ hall: config.hall, token: settings.token, lang: settings.lang,
                                              repeat: settings.repeat, volume: settings.volume, mode: settings.voice });
    const lost = document.getElementById("lost");
    const board = { config, settings, state: null, announcer, live: null };
    const render = () => { if (board.state) hooks.render(board.state); };

    board.live = hallops.live.connect({
      hall: config.hall,
      token: settings.token || null,
      onStatus(status) {
        lost.hidden = status !== "lost";
        document.body.classList.toggle("offline", status === "lost");
      },
      onSnapshot(state) {
        state.latest_calls = state.latest_calls.map(c => {
          const w = state.windows.find(x => x.id === c.window_id);
          return Object.assign({ kind: "call", area: w ? w.area : null }, c);
        });
        board.state = state;
        render();
        tick();  // the clock jumps to the server's time at once
      },
      onEvent(ev, info) {
        if (!board.state) return;
        if (ev.type === "layout.changed" || ev.type === "day.closed") { board.live.refresh(); return; }
        const call = apply(board.state, ev);
        render();
        if (call) {
          const fresh = !info.replay || info.ageSeconds < FRESH_SECONDS;
          if (hooks.onCall) hooks.onCall(call, fresh);
        }
      },
    });
    setInterval(() => board.live.refresh(), RESYNC_MS);

    const dateEl = document.getElementById("date"), clockEl = document.getElementById("clock");
    const tz = config.timezone || "Asia/Shanghai";
    const fmtTime = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    const fmtDate = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
    const tick = () => {
      // The server's clock in the hall's zone: a screen's own clock and zone are not trusted.
      const d = board.live.serverNow();
      if (clockEl) clockEl.textContent = fmtTime.format(d);
      if (dateEl) dateEl.textContent = fmtDate.format(d);
    };
    tick();
    setInterval(tick, 1000);
    window.hallopsBoard = board;  // for people debugging a screen, and for the browser tests
    return board;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  window.hallops = window.hallops || {};
  window.hallops.board = { start, apply, el, config };
})();
