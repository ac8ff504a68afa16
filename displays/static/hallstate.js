// The hall's state folded from its events: hallops/domain/hallstate.py in JavaScript, the same handlers in the
// same order. The Python module is the reference; tests/browser/test_state_agreement.py replays a recorded busy
// day through both and checks they agree with the server after every event.
//   hallops.hallstate.adopt(snapshot) -> state      a snapshot (GET …/state) as a fold's starting point (a copy)
//   hallops.hallstate.fold(state, ev) -> state      the state after one event; the input is left alone
//   hallops.hallstate.at(state, nowMs) -> state     the same state seen at another moment (longest waits move)
//   hallops.hallstate.callOf(ev) -> call | null     the latest_calls entry a call event adds
//   hallops.hallstate.needsSnapshot(ev) -> bool     an event no fold can apply (the layout changed)
"use strict";
(function () {
  const RECENT_CALLS = 12;
  const CALL_TYPES = new Set(["ticket.called", "ticket.recalled"]);
  const SNAPSHOT_TYPES = new Set(["layout.changed"]);

  const parseTime = iso => Date.parse(iso) / 1000;
  const iso = ts => new Date(Math.round(ts * 1000)).toISOString();
  // Python's round(): halves go to the even neighbour.
  function roundHalfEven(x) {
    const r = Math.round(x);
    return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }
  const copy = x => JSON.parse(JSON.stringify(x));

  const needsSnapshot = ev => SNAPSHOT_TYPES.has(ev.type);

  function adopt(snapshot) {
    const state = copy(snapshot);
    const now = parseTime(state.now);
    for (const q of state.queues) {
      if (!("oldest_at" in q)) q.oldest_at = q.waiting ? iso(now - q.longest_wait_seconds) : null;
    }
    return state;
  }

  function at(state, nowMs) {
    const out = copy(state);
    setNow(out, nowMs / 1000);
    return out;
  }

  function fold(state, ev) {
    const out = copy(state);
    const handler = HANDLERS[ev.type];
    if (handler) handler(out, ev.payload || {}, ev.at);
    out.seq = ev.seq;
    setNow(out, parseTime(ev.at));
    return out;
  }

  function callOf(ev) {
    if (!CALL_TYPES.has(ev.type)) return null;
    const p = ev.payload, t = p.ticket, w = p.window || {};
    const get = (o, k) => (o[k] === undefined ? null : o[k]);
    return { ticket_id: t.id, number: t.number, queue: t.queue, window: get(w, "number"), window_id: get(w, "id"),
             window_name: get(w, "name"), area: get(w, "area"), called_at: ev.at,
             recall_count: t.recall_count === undefined ? 0 : t.recall_count,
             kind: ev.type === "ticket.recalled" ? "recall" : (p.reason || "call") };
  }

  // -- the parts of a state ----------------------------------------------------------------------------------

  function setNow(state, now) {
    state.now = iso(now);
    for (const q of state.queues) {
      q.longest_wait_seconds = q.waiting && q.oldest_at ? roundHalfEven(now - parseTime(q.oldest_at)) : 0;
    }
  }

  function queueOf(state, t) {
    const qid = t.queue_id === undefined ? null : t.queue_id;
    return state.queues.find(q => q.id === qid || (qid === null && q.prefix === t.queue)) || null;
  }

  const windowOf = (state, id) => (id === undefined || id === null) ? null : (state.windows.find(w => w.id === id) || null);
  const eventWindowId = (p, t) => (p.window && p.window.id) || (t && t.window_id);

  function lines(state, p) {
    for (const part of p.queues || []) {
      const q = state.queues.find(x => x.id === part.id);
      if (q) { q.waiting = part.waiting; q.oldest_at = part.oldest_at; }
    }
  }

  function count(state, was, now) {
    const by = state.today.by_status;
    if (was !== null) {
      by[was] = (by[was] || 0) - 1;
      if (by[was] <= 0) delete by[was];
    }
    if (now !== null) by[now] = (by[now] || 0) + 1;
    totals(state);
  }

  function totals(state) {
    const t = state.today, by = t.by_status;
    t.issued = Object.values(by).reduce((a, b) => a + b, 0);
    t.waiting = by.waiting || 0;
    t.served = by.done || 0;
    t.no_show = by.no_show || 0;
  }

  function newDay(state, day) {
    if (day && day !== state.service_day) {
      state.service_day = day;
      state.today.by_status = {};
      state.latest_calls = [];
      totals(state);
    }
  }

  function leaveWindow(state, p) {
    const t = p.ticket;
    const w = windowOf(state, eventWindowId(p, t));
    if (w && w.current && w.current.id === t.id) w.current = null;
  }

  // -- one handler per event type ----------------------------------------------------------------------------

  function issued(state, p, at) {
    newDay(state, p.service_day);
    const q = queueOf(state, p.ticket);
    if (q) { q.waiting += 1; q.oldest_at = q.oldest_at || at; }
    count(state, null, "waiting");
  }

  function called(state, p, at) {
    const t = p.ticket;
    lines(state, p);
    const w = windowOf(state, (p.window || {}).id);
    if (w) {
      w.current = { id: t.id, number: t.number, status: "called", called_at: at,
                    started_at: p.started_at === undefined ? null : p.started_at,
                    recall_count: t.recall_count === undefined ? 0 : t.recall_count };
    }
    count(state, p.reason === "call_back" ? "parked" : "waiting", "called");
    heard(state, p, at, "ticket.called");
  }

  function recalled(state, p, at) {
    const t = p.ticket;
    const w = windowOf(state, (p.window || {}).id);
    if (w && w.current && w.current.id === t.id) {
      w.current.called_at = at;
      w.current.recall_count = t.recall_count === undefined ? 0 : t.recall_count;
    }
    heard(state, p, at, "ticket.recalled");
  }

  function heard(state, p, at, type) {
    state.latest_calls = [callOf({ type, at, payload: p })].concat(state.latest_calls).slice(0, RECENT_CALLS);
  }

  function started(state, p, at) {
    const t = p.ticket;
    const w = windowOf(state, eventWindowId(p, t));
    if (w && w.current && w.current.id === t.id) { w.current.status = "serving"; w.current.started_at = at; }
    count(state, "called", "serving");
  }

  function ended(was, now) {
    return function (state, p) {
      leaveWindow(state, p);
      lines(state, p);
      count(state, p.was || was, now);
    };
  }

  function windowChanged(state, p, at) {
    const ew = p.window;
    const w = windowOf(state, ew.id);
    if (w) {
      w.state = ew.state;
      w.pause_reason = ew.pause_reason === undefined ? null : ew.pause_reason;
      w.state_since = at;
      w.clerk = ew.clerk ? { id: ew.clerk.id, display_name: ew.clerk.display_name } : null;
    }
  }

  function dayClosed(state, p, at) {
    const expired = new Set(p.expired_ids || []);
    const closed = new Set(p.windows_closed || []);
    for (const w of state.windows) {
      if (w.current && expired.has(w.current.id)) w.current = null;
      if (closed.has(w.number)) { w.state = "closed"; w.pause_reason = null; w.state_since = at; w.clerk = null; }
    }
    lines(state, p);
    newDay(state, p.service_day);
    if (p.today) { state.today.by_status = Object.assign({}, p.today); totals(state); }
  }

  const HANDLERS = {
    "ticket.issued": issued,
    "ticket.called": called,
    "ticket.recalled": recalled,
    "ticket.started": started,
    "ticket.parked": ended("serving", "parked"),
    "ticket.finished": ended("serving", "done"),
    "ticket.no_show": ended("called", "no_show"),
    "ticket.cancelled": ended("waiting", "cancelled"),
    "ticket.transferred": ended("waiting", "waiting"),
    "ticket.expired": ended("waiting", "expired"),
    "day.closed": dayClosed,
    "window.opened": windowChanged,
    "window.paused": windowChanged,
    "window.resumed": windowChanged,
    "window.closed": windowChanged,
  };

  window.hallops = window.hallops || {};
  window.hallops.hallstate = { adopt, fold, at, callOf, needsSnapshot, HANDLERS, RECENT_CALLS };
})();
