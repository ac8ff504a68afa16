// The lobby screen (大屏): newest call large and flashing, every window's number, waiting per queue, recent calls.
"use strict";
(function () {
  const { el } = hallops.board;
  const FLASH_MS = 8000;
  let area = "";
  let flashTimer = null;

  const visible = w => !area || w.area === area;

  function renderNow(call, flash) {
    const body = document.getElementById("now-body");
    body.replaceChildren();
    if (!call) {
      body.append(el("div", "now-idle", "请留意叫号"));
      return;
    }
    const num = el("div", "now-number", call.number);
    num.id = "now-number";
    const where = el("div", "now-window");
    where.append(el("span", "zh", "请到 "), el("b", null, String(call.window)), el("span", "zh", " 号窗口"));
    const name = el("div", "now-window-name", (call.window_name || "") + "  · Window " + call.window);
    if (call.kind === "recall") body.append(el("div", "now-recall", "重呼 Repeat call"));
    body.append(num, where, name);
    const box = document.getElementById("now");
    if (flash) {
      box.classList.remove("flash"); void box.offsetWidth; box.classList.add("flash");
      clearTimeout(flashTimer);
      flashTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
    }
  }

  function render(state) {
    const windows = state.windows.filter(visible);
    const grid = document.getElementById("windows");
    grid.replaceChildren(...windows.map(w => {
      const cell = el("div", "win win-" + w.state + (w.current ? " win-" + w.current.status : ""));
      cell.dataset.window = w.number;
      cell.append(el("div", "win-no", w.number + "号"));
      let text;
      if (w.state === "paused") text = "暂停";
      else if (w.state === "closed") text = "—";
      else text = w.current ? w.current.number : "空闲";
      cell.append(el("div", "win-cur", text));
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
    const calls = state.latest_calls.filter(c => !area || c.area === area);
    document.getElementById("recent").replaceChildren(...calls.slice(1, 9).map(c => {
      const li = el("li");
      li.append(el("b", null, c.number), el("span", null, "→ " + c.window + " 号窗口"));
      return li;
    }));
    document.getElementById("notice").textContent = state.hall.notice || "";
    if (!document.getElementById("now-number") || calls[0]?.number !== document.getElementById("now-number").textContent) {
      renderNow(calls[0] || null, false);
    }
  }

  function onCall(call, fresh) {
    if (area && call.area !== area) return;
    renderNow(call, fresh);
    if (fresh) board.announcer.announce({ ticket: call.number, window: call.window, kind: call.kind });
  }

  area = hallops.board.config.settings.area || "";
  const orient = hallops.board.config.settings.orient;
  const setOrient = () => {
    const portrait = orient === "portrait" || (orient === "auto" && innerHeight > innerWidth);
    document.body.classList.toggle("portrait", portrait);
    document.body.classList.toggle("landscape", !portrait);
  };
  setOrient();
  addEventListener("resize", setOrient);
  const board = hallops.board.start({ render, onCall });
})();
