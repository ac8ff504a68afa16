// The lobby screen (大屏): the call the hall just heard, large; every window's number; waiting per queue; recent
// calls. "Now calling" only ever shows an instruction that is still true: a ticket still waiting to be met at
// its window (called, not yet started, finished, missed or moved), called within the last HOLD_SECONDS.
"use strict";
(function () {
  const { el, stillCalled, recentCalls } = hallops.board;
  const FLASH_MS = 8000;
  const HOLD_SECONDS = 60;
  const RECENT_SHOWN = 8;
  const MAX_COLUMNS = 3;
  const MIN_NAME_CHARS = 3;   // a window name narrower than this is left out rather than shown as "户…"
  let area = "";
  let flashTimer = null;
  let shownKey = null;        // the call in the "now calling" box, or null when it rests

  const visible = w => !area || w.area === area;
  const callKey = c => c ? c.ticket_id + "@" + c.called_at : null;
  const areaCalls = state => recentCalls(state.latest_calls).filter(c => !area || c.area === area);

  function nowCall(state) {
    const now = board.live.serverNow().getTime();
    return areaCalls(state).find(c => stillCalled(state, c) && now - Date.parse(c.called_at) < HOLD_SECONDS * 1000)
      || null;
  }

  function renderNow(call) {
    const body = document.getElementById("now-body");
    const box = document.getElementById("now");
    body.replaceChildren();
    box.dataset.state = call ? "calling" : "idle";
    if (!call) {
      const idle = el("div", "now-idle");
      idle.append(el("span", "zh", "请留意叫号"), " ", el("small", "en", "Please listen for your number"));
      body.append(idle);
      box.classList.remove("flash");
      return;
    }
    const num = el("div", "now-number", call.number);
    num.id = "now-number";
    const where = el("div", "now-window");
    where.append(el("span", "zh", "请到 "), el("span", "en-only", "Window "), el("b", null, String(call.window)),
                 el("span", "zh", " 号窗口"));
    const name = el("div", "now-window-name", (call.window_name || "") + "  · Window " + call.window);
    if (call.kind === "recall") {
      const again = el("div", "now-recall");
      again.append(el("span", "zh", "重呼 "), el("span", "en", "Repeat call"));
      body.append(again);
    }
    body.append(num, where, name);
  }

  function flash() {
    const box = document.getElementById("now");
    box.classList.remove("flash"); void box.offsetWidth; box.classList.add("flash");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
  }

  function recentItem(c) {
    const li = el("li", "rc rc-" + c.kind);
    li.dataset.ticket = c.number;
    const win = el("span", "rc-win");
    win.append("→ ", el("span", "en-only", "Window "), el("b", null, String(c.window)), el("span", "zh", " 号窗口"));
    const tag = c.kind === "recall" ? "重呼 · " : c.kind === "call_back" ? "回呼 · " : "";
    li.append(el("b", "rc-no", c.number), win, el("span", "rc-name", tag + (c.window_name || "")));
    return li;
  }

  // As many columns as fit the number and window of every entry, then as many rows as fit the box: an entry is
  // shown whole or not at all. Only a window name may be cut short (with an ellipsis).
  function fitRecent() {
    const ol = document.getElementById("recent");
    const items = [...ol.children];
    ol.classList.remove("rc-no-names");
    items.forEach(li => { li.hidden = false; });
    if (!items.length) return;
    const overflows = () => items.some(li => li.scrollWidth > li.clientWidth + 1);
    let cols = Math.min(MAX_COLUMNS, items.length);
    for (; cols > 1; cols--) {
      ol.style.setProperty("--rc-cols", String(cols));
      if (!overflows()) break;
    }
    ol.style.setProperty("--rc-cols", String(cols));
    const name = items[0].querySelector(".rc-name");
    if (name.clientWidth < MIN_NAME_CHARS * parseFloat(getComputedStyle(name).fontSize)) ol.classList.add("rc-no-names");
    const bottom = ol.getBoundingClientRect().bottom + 0.5;
    for (const li of items) if (li.getBoundingClientRect().bottom > bottom) li.hidden = true;
  }

  function render(state) {
    const windows = state.windows.filter(visible);
    const grid = document.getElementById("windows");
    grid.replaceChildren(...windows.map(w => {
      const cell = el("div", "win win-" + w.state + (w.current ? " win-" + w.current.status : ""));
      cell.dataset.window = w.number;
      const no = el("div", "win-no");
      no.append(el("span", "zh", w.number + "号"), el("span", "en-only", "No. " + w.number));
      cell.append(no);
      const cur = el("div", "win-cur");
      if (w.current && w.state !== "paused" && w.state !== "closed") cur.textContent = w.current.number;
      else if (w.state === "closed") cur.textContent = "—";
      else cur.append(el("span", "zh", w.state === "paused" ? "暂停" : "空闲"),
                      el("span", "en-only", w.state === "paused" ? "Paused" : "Idle"));
      cell.append(cur);
      return cell;
    }));
    grid.style.setProperty("--cols", String(windows.length > 20 ? 7 : windows.length > 12 ? 5 : 4));
    const served = new Set(windows.flatMap(w => w.queues));
    const queues = state.queues.filter(q => !area || served.has(q.prefix));
    document.getElementById("waiting").replaceChildren(...queues.map(q => {
      const li = el("li", q.waiting ? "" : "none");
      li.append(el("b", "q-prefix", q.prefix), el("span", "q-name", q.name), el("span", "q-count", String(q.waiting)));
      return li;
    }));
    document.getElementById("notice").textContent = state.hall.notice || "";

    const now = nowCall(state);
    if (callKey(now) !== shownKey) {
      shownKey = callKey(now);
      renderNow(now);
    }
    // Recent calls: what the hall heard, newest first, without the one shown large.
    const recent = areaCalls(state).filter(c => !now || c.ticket_id !== now.ticket_id).slice(0, RECENT_SHOWN);
    document.getElementById("recent").replaceChildren(...recent.map(recentItem));
    fitRecent();
  }

  function tick(state) {
    // The hold ends without any event: look again every second.
    if (callKey(nowCall(state)) !== shownKey) render(state);
  }

  function onCall(call, fresh) {
    if (area && call.area !== area) return;
    if (!fresh) return;
    if (callKey(call) === shownKey) flash();
    board.announcer.announce({ ticket: call.number, window: call.window, kind: call.kind });
  }

  area = hallops.board.config.settings.area || "";
  const orient = hallops.board.config.settings.orient;
  const setOrient = () => {
    const portrait = orient === "portrait" || (orient === "auto" && innerHeight > innerWidth);
    document.body.classList.toggle("portrait", portrait);
    document.body.classList.toggle("landscape", !portrait);
    fitRecent();
  };
  setOrient();
  addEventListener("resize", setOrient);
  const board = hallops.board.start({ render, onCall, tick });
})();
