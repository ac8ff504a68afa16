// What every display screen shares: its settings, the hall's state kept current from live events, the clock,
// the "connection lost" banner, the "tap to enable sound" gate, and which calls are spoken.
//   hallops.board.start({ render(state), onCall(call, fresh), tick() })  -> {state, live, announcer, config}
// A call is {ticket_id, number, queue, window, window_id, window_name, area, called_at, recall_count,
//            kind: "call" | "recall" | "call_back"}: one per ticket in state.latest_calls, newest first. The list
// is built from the call events as they arrive, so a ticket called and later transferred stays in it.
"use strict";
(function () {
  const RECENT = 12;
  const FRESH_SECONDS = 30;        // a call caught up after a reconnect is spoken only if this recent
  const RESYNC_MS = 5 * 60 * 1000; // take a fresh snapshot now and then: counts derived from events may drift

  const config = JSON.parse(document.getElementById("display-config").textContent);
  const settings = config.settings;

  const calledAt = c => Date.parse(c.called_at) || 0;

  // Newest first, one entry per ticket (its latest call): a recall replaces the call it repeats.
  function recentCalls(calls) {
    const seen = new Set();
    return calls.slice().sort((a, b) => calledAt(b) - calledAt(a)).filter(c => {
      if (seen.has(c.ticket_id)) return false;
      seen.add(c.ticket_id);
      return true;
    }).slice(0, RECENT);
  }

  // Is the citizen still being asked to come? Only while the ticket is the window's current one, not yet started.
  function stillCalled(state, call) {
    const w = state.windows.find(x => x.id === call.window_id);
    return !!(w && w.current && w.current.id === call.ticket_id && w.current.status === "called");
  }

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
        const kind = ev.type === "ticket.recalled" ? "recall" : p.reason === "call_back" ? "call_back" : "call";
        call = { ticket_id: t.id, number: t.number, queue: t.queue, window: p.window.number, window_id: p.window.id,
                 window_name: p.window.name, area: p.window.area, called_at: ev.at, recall_count: t.recall_count,
                 kind };
        state.latest_calls = recentCalls([call].concat(state.latest_calls));
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

  // A snapshot replaces the model, but calls this screen saw during the same service day are kept: the
  // snapshot's list may leave out a ticket that has since moved on (transferred), which the hall still heard.
  function adopt(previous, state) {
    const calls = state.latest_calls.map(c => {
      const w = state.windows.find(x => x.id === c.window_id);
      return Object.assign({ kind: "call", area: w ? w.area : null }, c);
    });
    const sameDay = previous && previous.hall.id === state.hall.id && previous.service_day === state.service_day;
    state.latest_calls = recentCalls(sameDay ? calls.concat(previous.latest_calls) : calls);
    return state;
  }

  function soundGate(announcer) {
    const gate = document.getElementById("sound-gate");
    const pending = document.getElementById("sound-pending");
    return function (blocked) {
      gate.hidden = !blocked;
      document.body.classList.toggle("sound-blocked", blocked);
      const n = announcer.queue.length;
      pending.hidden = !blocked || n === 0;
      pending.textContent = "待播报 " + n + " 条 · " + n + " waiting";
    };
  }

  function start(hooks) {
    const announcer = new hallops.Announcer({ hall: config.hall, token: settings.token, lang: settings.lang,
                                              repeat: settings.repeat, volume: settings.volume, mode: settings.voice });
    announcer.onBlocked = soundGate(announcer);
    announcer.probe();
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
        board.state = adopt(board.state, state);
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
      if (board.state && hooks.tick) hooks.tick(board.state);
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
  window.hallops.board = { start, apply, adopt, recentCalls, stillCalled, el, config };
})();
