// The citizen's ticket on the phone: one websocket that carries only this ticket's status, reconnecting with
// backoff; when called, the window in large type and a vibration where the phone allows it; at the end, what
// happened (done / missed / cancelled / expired) and what to do next. A phone ticket still waiting can be
// cancelled from the phone that took it.
"use strict";
(function () {
  const root = document.getElementById("p-ticket");
  if (!root) return;
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const { esc } = hallops;
  const { said } = hallops;
  const FINAL = ["done", "no_show", "cancelled", "expired"];
  const ACTIVE = ["called", "serving", "parked"];
  const CROWDED = 1008;   // the server's answer past a few sockets per ticket or per address: wait longer
  // Backoff with full jitter, the first retry included (web/static/js/live.js): the phones a server restart
  // drops come back spread over seconds; a connection that lived LIVED_MS makes the next retry a first again.
  const FIRST_RETRY_MS = 3000, BACKOFF_MAX_MS = 15000, LIVED_MS = 10000;
  let openedAt = 0;
  let attempt = 0, last = JSON.parse($("p-initial").textContent), finished = false, ws = null, retry = null;

  function waitText(est) {
    if (!est) return ["—", ""];
    if (est.high_minutes <= 2) return ["即将叫号", "any moment now"];
    if (est.low_minutes <= 0) return [est.high_minutes + " 分钟以内", "under " + est.high_minutes + " min"];
    return ["约 " + est.low_minutes + "–" + est.high_minutes + " 分钟", "about " + est.low_minutes + "–" + est.high_minutes + " min"];
  }

  // What a screen reader says (the live region #p-say): the call above all, in the page's language.
  function say(s, event) {
    const en = hallops.lang() === "en";
    let text = "";
    if (ACTIVE.includes(s.status) && (event === "ticket.called" || event === "ticket.recalled" || event === null)) {
      text = en ? "Number " + s.number + ": please go to window " + s.window : "请 " + s.number + " 号到 " + s.window + " 号窗口";
    } else if (s.status === "waiting" && last && last.people_ahead !== s.people_ahead) {
      text = en ? s.people_ahead + " people ahead of you" : "前面还有 " + s.people_ahead + " 人";
    } else if (FINAL.includes(s.status) && last && last.status !== s.status) {
      text = { done: ["已办结", "Done"], no_show: ["已过号", "Missed"], cancelled: ["已取消", "Cancelled"], expired: ["已过期", "Expired"] }[s.status][en ? 1 : 0];
    }
    if (text && $("p-say").textContent !== text) $("p-say").textContent = text;
  }

  function render(s, event) {
    say(s, event);
    root.dataset.status = s.status;
    const called = ACTIVE.includes(s.status), final = FINAL.includes(s.status);
    $("p-called").hidden = !called;
    $("p-waiting").hidden = s.status !== "waiting";
    $("p-note").hidden = s.status !== "waiting";
    $("p-end").hidden = !final;
    if ($("p-cancel")) $("p-cancel").hidden = s.status !== "waiting";
    if ($("p-sms")) $("p-sms").hidden = s.status !== "waiting";
    if (called) {
      $("p-window").textContent = s.window; $("p-window-en").textContent = s.window;
      $("p-window-name").innerHTML = '<span class="zh">' + esc(s.window_name || "") + '</span> <small class="en">' + esc(s.window_name_en || "") + '</small>';
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
    if (final) {
      document.querySelectorAll("[data-end]").forEach(el => { el.hidden = el.dataset.end !== s.status; });
      document.querySelectorAll(".p-end-win").forEach(el => { el.hidden = !s.window; });
      document.querySelectorAll(".p-win").forEach(el => { el.textContent = s.window || ""; });
      finished = true;
      $("p-live").hidden = true;
    }
    document.title = s.number + (called ? " → " + s.window + " 号窗口" : "");
    last = s;
  }

  function connect() {
    if (finished || (ws && ws.readyState <= 1)) return;
    clearTimeout(retry);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/api/v1/ticket-status/" + encodeURIComponent(token) + "/live");
    ws.onopen = () => { openedAt = Date.now(); $("p-live").classList.remove("lost"); };
    ws.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "status") render(m.status, m.event);
    };
    ws.onclose = (ev) => {
      ws = null;
      if (finished) return;
      $("p-live").classList.add("lost");
      if (openedAt && Date.now() - openedAt >= LIVED_MS) attempt = 0;
      openedAt = 0;
      const wait = ev.code === CROWDED ? 30000 * (0.75 + Math.random() * 0.5)
        : Math.random() * Math.min(BACKOFF_MAX_MS, FIRST_RETRY_MS * Math.pow(2, Math.min(attempt, 10)));
      attempt += 1;
      retry = setTimeout(connect, wait);
    };
  }

  // -- taking a mis-tap back (only shown to the phone that took the ticket) ---------------------------------
  const ask = $("p-cancel-ask");
  if (ask) {
    ask.addEventListener("click", () => { ask.hidden = true; $("p-cancel-confirm").hidden = false; });
    $("p-cancel-no").addEventListener("click", () => { ask.hidden = false; $("p-cancel-confirm").hidden = true; });
    $("p-cancel-yes").addEventListener("click", async () => {
      $("p-cancel-yes").disabled = true;
      try {
        await hallops.api("POST", "/api/v1/mobile/tickets/" + encodeURIComponent(token) + "/cancel");
        render(Object.assign({}, last, { status: "cancelled" }), "ticket.cancelled");
      } catch (e) {
        const m = $("p-cancel-msg"); m.innerHTML = said(e.message); m.hidden = false;
        $("p-cancel-yes").disabled = false;
      }
    });
  }

  // -- a text before my turn ------------------------------------------------------------------------------
  const smsForm = $("p-sms-form");
  if (smsForm) smsForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { mobile: smsForm.mobile.value.trim(), ahead: Number(smsForm.ahead.value), relation: smsForm.family.checked ? "family" : "self" };
    try {
      const r = await hallops.api("POST", "/api/v1/mobile/tickets/" + encodeURIComponent(token) + "/sms", body);
      smsForm.hidden = true;
      $("p-sms-state").innerHTML = '<span class="zh">将在前面剩 ' + r.ahead + ' 人和叫号时发短信到 ' + esc(r.mobile) + '</span> ' +
        '<small class="en">We will text ' + esc(r.mobile) + ' when ' + r.ahead + ' are ahead and when called</small>';
    } catch (e) { $("p-sms-state").innerHTML = said(e.message); }
  });

  render(last, null);
  connect();
  // A phone that slept drops its socket silently: reconnect when the page is looked at again.
  document.addEventListener("visibilitychange", () => { if (!document.hidden && !finished) connect(); });
})();
