// The window screen (窗口屏): this window's number and name, the ticket served, paused or idle.
"use strict";
(function () {
  const { el } = hallops.board;
  const number = hallops.board.config.window;

  function render(state) {
    const w = state.windows.find(x => x.number === number);
    const main = document.getElementById("win-main");
    const ticket = document.getElementById("win-ticket");
    const status = document.getElementById("win-status");
    const reason = document.getElementById("win-reason");
    if (!w) {
      main.dataset.state = "closed";
      ticket.textContent = "";
      status.replaceChildren(el("span", "zh", "窗口未启用"), el("small", "en", " Window not in use"));
      reason.textContent = "";
      return;
    }
    document.getElementById("win-name").replaceChildren(el("span", "zh", w.name), " ", el("small", "en", w.name_en || ""));
    document.getElementById("win-queues").textContent = w.queues.join(" · ");
    reason.replaceChildren();
    if (w.state === "paused") {
      main.dataset.state = "paused";
      ticket.textContent = "";
      status.replaceChildren(el("span", "zh", "暂停服务"), el("small", "en", " Paused"));
      reason.textContent = w.pause_reason || "";
    } else if (w.state === "closed") {
      main.dataset.state = "closed";
      ticket.textContent = "";
      // Not a pause (which shows its reason): nobody is at this window today, or not yet.
      status.replaceChildren(el("span", "zh", "暂停服务"));  // in English the reason below says it: "Window closed"
      reason.replaceChildren(el("span", "zh", "窗口未开放"), " ", el("small", "en", "Window closed"));
    } else if (w.current) {
      main.dataset.state = w.current.status;
      ticket.textContent = w.current.number;
      status.replaceChildren(w.current.status === "serving"
        ? el("span", "zh", "正在办理") : el("span", "zh", "请 " + w.current.number + " 号到本窗口办理"),
        el("small", "en", w.current.status === "serving" ? " Now serving" : " Please come to this window"));
    } else {
      main.dataset.state = "idle";
      ticket.textContent = "";
      status.replaceChildren(el("span", "zh", "请稍候"), el("small", "en", " Please wait"));
    }
  }

  function onCall(call, fresh) {
    if (call.window !== number || !fresh) return;
    const main = document.getElementById("win-main");
    main.classList.remove("flash"); void main.offsetWidth; main.classList.add("flash");
    board.announcer.announce({ ticket: call.number, window: call.window, kind: call.kind });
  }

  const board = hallops.board.start({ render, onCall });
})();
