// What every display screen shares: its settings, the hall's state kept current from live events, the clock,
// the "connection lost" banner, the "tap to enable sound" gate, and which calls are spoken.
//   hallops.board.start({ render(state), onCall(call, fresh), tick() })  -> {state, live, announcer, config}
// The state is the shape of GET …/state, folded from events by hallops.hallstate (hallstate.js, the mirror of
// hallops/domain/hallstate.py): events carry the counts they change, so nothing drifts and no screen needs a
// fresh snapshot but on (re)connect or when the layout changes.
// A call is {ticket_id, number, queue, window, window_id, window_name, area, called_at, recall_count,
//            kind: "call" | "recall" | "call_back"}; state.latest_calls lists the hall's latest calls, newest
// first, as the snapshot does (a recall is an entry of its own); screens show recentCalls(): one per ticket.
"use strict";
(function () {
  const RECENT = 12;
  const FRESH_SECONDS = 30;        // a call caught up after a reconnect is spoken only if this recent
  const { hallstate } = hallops;

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

  // One event into the state; the call it makes, if any.
  function apply(board, ev) {
    board.state = hallstate.fold(board.state, ev);
    return hallstate.callOf(ev);
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
      // A revoked screen token: reload, and the server shows the out-of-service notice (staff-only text).
      onRevoked() { location.reload(); },
      onStatus(status) {
        lost.hidden = status !== "lost";
        document.body.classList.toggle("offline", status === "lost");
      },
      onSnapshot(state) {
        board.state = hallstate.adopt(state);
        render();
        tick();  // the clock jumps to the server's time at once
      },
      onEvent(ev, info) {
        if (!board.state) return;
        if (hallstate.needsSnapshot(ev)) { board.live.refresh(); return; }
        const call = apply(board, ev);
        render();
        if (call) {
          const fresh = !info.replay || info.ageSeconds < FRESH_SECONDS;
          if (hooks.onCall) hooks.onCall(call, fresh);
        }
      },
    });

    const dateEl = document.getElementById("date"), clockEl = document.getElementById("clock");
    const tz = config.timezone || "Asia/Shanghai";
    const fmtTime = new Intl.DateTimeFormat("zh-CN", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    const fmtDate = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "zh-CN", { timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
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
  window.hallops.board = { start, recentCalls, stillCalled, el, config };
})();
