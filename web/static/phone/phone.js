// The citizen's ticket on the phone: one websocket that carries only this ticket's status, reconnecting with
// backoff; when called, the window in large type and a vibration where the phone allows it.
"use strict";
(function () {
  const root = document.getElementById("p-ticket");
  if (!root) return;
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const FINAL = { done: ["已办结，感谢您的耐心等候", "Done. Thank you for waiting"],
                  no_show: ["已过号，请重新取号", "Missed: please take a new ticket"],
                  cancelled: ["号票已取消", "Ticket cancelled"], expired: ["号票已过期", "Ticket expired"] };
  let attempt = 0, last = JSON.parse($("p-initial").textContent), finished = false;

  function waitText(est) {
    if (!est) return ["—", ""];
    if (est.high_minutes <= 2) return ["即将叫号", "any moment now"];
    if (est.low_minutes <= 0) return [est.high_minutes + " 分钟以内", "under " + est.high_minutes + " min"];
    return ["约 " + est.low_minutes + "–" + est.high_minutes + " 分钟", "about " + est.low_minutes + "–" + est.high_minutes + " min"];
  }

  function render(s, event) {
    root.dataset.status = s.status;
    const called = ["called", "serving", "parked"].includes(s.status);
    $("p-called").hidden = !called;
    $("p-waiting").hidden = s.status !== "waiting";
    $("p-final").hidden = !FINAL[s.status];
    if (called) {
      $("p-window").textContent = s.window; $("p-window-en").textContent = s.window;
      $("p-window-name").textContent = s.window_name || "";
      if ((event === "ticket.called" || event === "ticket.recalled") && navigator.vibrate) {
        try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed before a tap */ }
      }
      if (event === "ticket.called" || event === "ticket.recalled") {
        root.classList.remove("flash"); void root.offsetWidth; root.classList.add("flash");
      }
    }
    if (s.status === "waiting") {
      $("p-ahead").textContent = s.people_ahead;
      const [z, e] = waitText(s.estimated_wait);
      $("p-wait").innerHTML = '<span class="zh">' + esc(z) + '</span> <small class="en">' + esc(e) + '</small>';
    }
    if (FINAL[s.status]) {
      $("p-final").innerHTML = '<span class="zh">' + FINAL[s.status][0] + '</span> <small class="en">' + FINAL[s.status][1] + '</small>';
      finished = true;
      $("p-live").hidden = true;
    }
    document.title = s.number + (called ? " → " + s.window + " 号窗口" : "");
    last = s;
  }

  function connect() {
    if (finished) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/api/v1/ticket-status/" + encodeURIComponent(token) + "/live");
    ws.onopen = () => { attempt = 0; $("p-live").classList.remove("lost"); };
    ws.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "status") render(m.status, m.event);
    };
    ws.onclose = () => {
      if (finished) return;
      $("p-live").classList.add("lost");
      const delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      setTimeout(connect, delay);
    };
  }

  render(last, null);
  connect();
  // A phone that slept drops its socket silently: reconnect when the page is looked at again.
  document.addEventListener("visibilitychange", () => { if (!document.hidden && !finished) connect(); });
})();
