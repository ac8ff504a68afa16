// The window's rating pad (好差评器): waits for the visit the clerk just finished, offers the five levels with big
// targets, the national indicators, reasons and a comment for the low ones, then thanks and goes back to waiting.
// The device token arrives once in the URL fragment (#token=…) and lives in localStorage, never in a page's URL
// (the live websocket carries it as ?token=, as every screen's does: a browser can set no header there).
// It follows its window live (js/live.js): the server sends this pad its own view on every (re)connect and only
// its window's events after it (a visit finished, a rating given, the window opened or closed); each event
// asks the server for the view again, so the offer appears the moment the clerk finishes. A slow poll is a
// safety net only.
"use strict";
(function () {
  const TOKEN_KEY = "hallops.pad.token";
  // The safety-net poll (tests set window.hallopsPadFallbackMs to show that the offer does not wait for it).
  const FALLBACK_MS = Number(window.hallopsPadFallbackMs) || 30000;
  const THANKS_MS = 6000, THANKS_AGAIN_MS = 3000;
  // Faces drawn as SVG (a tablet's fonts may lack emoji): the mouth's curve goes from a big smile to a frown.
  const MOUTH = { very_satisfied: "M14 30 Q24 42 34 30", satisfied: "M15 31 Q24 37 33 31", basic: "M15 33 L33 33",
    dissatisfied: "M15 35 Q24 29 33 35", very_dissatisfied: "M14 37 Q24 26 34 37" };
  const face = (k) => `<svg class="p-face" viewBox="0 0 48 48" width="64" height="64" aria-hidden="true"><circle cx="24" cy="24" r="21" fill="none" stroke="#fff" stroke-width="3"/>` +
    `<circle cx="17" cy="19" r="2.6" fill="#fff"/><circle cx="31" cy="19" r="2.6" fill="#fff"/><path d="${MOUTH[k]}" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>`;
  const BAD = new Set(["dissatisfied", "very_dissatisfied"]);
  const SCORE = { very_satisfied: 5, satisfied: 4, basic: 3, dissatisfied: 2, very_dissatisfied: 1 };
  const root = document.getElementById("pad");
  const $ = (id) => document.getElementById(id);
  let token = null, state = null, offer = null, level = null, inds = {}, reasons = new Set(), busy = false;
  let idle = null, thanksUntil = 0, asked = 0, live = null;

  const m = location.hash.match(/token=([A-Za-z0-9_\-]+)/);
  if (m) {
    token = m[1];
    try { localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode: keep it in memory */ }
    history.replaceState(null, "", location.pathname);
  }
  if (!token) { try { token = localStorage.getItem(TOKEN_KEY); } catch (e) { token = null; } }

  function show(name) {
    for (const s of root.querySelectorAll(".p-screen")) s.hidden = s.id !== "p-" + name;
    root.dataset.screen = name;
  }

  async function call(method, url, body) {
    const opts = { method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const resp = await fetch(url, opts);
    const text = await resp.text();
    const data = text ? JSON.parse(text) : null;
    if (!resp.ok) { const e = new Error((data && data.message) || resp.status); e.status = resp.status; e.code = data && data.error; throw e; }
    return data;
  }

  function el(tag, cls, html) { const e = document.createElement(tag); if (cls) e.className = cls; if (html !== undefined) e.innerHTML = html; return e; }
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

  function buildLevels() {
    const box = $("p-levels"); box.innerHTML = "";
    for (const lv of state.levels) {
      const b = el("button", "p-level lv-" + lv.key, `${face(lv.key)}${esc(lv.label)}<small>${esc(lv.label_en)}</small>`);
      b.type = "button"; b.dataset.level = lv.key;
      b.addEventListener("click", () => choose(lv));
      box.appendChild(b);
    }
  }

  function choose(lv) {
    level = lv.key; inds = {}; reasons = new Set();
    $("p-chosen").textContent = lv.label; $("p-chosen-en").textContent = lv.label_en;
    const box = $("p-inds"); box.innerHTML = "";
    for (const ind of state.indicators) {
      inds[ind.key] = SCORE[level];
      const row = el("div", "p-ind", `<span class="p-ind-name">${esc(ind.label)}<small>${esc(ind.label_en)}</small></span>`);
      const stars = el("div", "p-stars"); stars.setAttribute("role", "group"); stars.setAttribute("aria-label", ind.label);
      for (let i = 1; i <= 5; i++) {
        const s = el("button", "p-star", "★"); s.type = "button"; s.dataset.ind = ind.key; s.dataset.value = i;
        s.setAttribute("aria-label", ind.label + " " + i);
        s.addEventListener("click", () => { inds[ind.key] = i; paintStars(); touch(); });
        stars.appendChild(s);
      }
      row.appendChild(stars); box.appendChild(row);
    }
    paintStars();
    const rbox = $("p-reasons"); rbox.innerHTML = "";
    for (const r of state.reasons) {
      const b = el("button", "p-reason", `${esc(r.label)}<small>${esc(r.label_en)}</small>`);
      b.type = "button"; b.dataset.reason = r.key; b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => {
        if (reasons.has(r.key)) reasons.delete(r.key); else reasons.add(r.key);
        b.setAttribute("aria-pressed", reasons.has(r.key) ? "true" : "false"); touch();
      });
      rbox.appendChild(b);
    }
    $("p-comment").value = "";
    $("p-reasons-wrap").hidden = !BAD.has(level);
    $("p-error").hidden = true;
    show("detail"); touch();
  }

  function paintStars() {
    for (const s of root.querySelectorAll(".p-star")) s.setAttribute("aria-pressed", Number(s.dataset.value) <= inds[s.dataset.ind] ? "true" : "false");
  }

  function touch() { clearTimeout(idle); idle = setTimeout(() => { if (root.dataset.screen === "detail") show(offer ? "rate" : "welcome"); }, 60000); }

  async function submit() {
    if (busy || !offer) return;
    if (BAD.has(level) && reasons.size === 0 && !$("p-comment").value.trim()) {
      $("p-error").textContent = "请至少选择一个原因或留言 (tick a reason or leave a comment)"; $("p-error").hidden = false; return;
    }
    busy = true; $("p-submit").disabled = true;
    try {
      await call("POST", "/api/v1/rating-pad/ratings", { ticket: offer.ticket.id, level, indicators: inds,
        reasons: [...reasons], comment: BAD.has(level) ? $("p-comment").value.trim() : "" });
      $("p-thanks-bad").hidden = !BAD.has(level);
      thank(THANKS_MS);
    } catch (e) {
      if (e.code === "already_rated" || e.code === "rating_expired") thank(THANKS_AGAIN_MS);
      else { $("p-error").textContent = e.message; $("p-error").hidden = false; }
    } finally { busy = false; $("p-submit").disabled = false; }
  }

  // Thanks for a while, then whatever the window offers by then (the next visit may already be finished).
  function thank(ms) {
    offer = null; thanksUntil = Date.now() + ms; show("thanks");
    setTimeout(refresh, ms + 50);
  }

  function forget() {
    try { localStorage.removeItem(TOKEN_KEY); } catch (x) { /* ignore */ }
    token = null;
    if (live) { live.close(); live = null; }
    show("setup");
  }

  // The pad's view from the server; only the latest asked for is shown (a slow answer never undoes a newer one).
  async function refresh() {
    if (!token) return show("setup");
    const n = ++asked;
    let view;
    try {
      view = await call("GET", "/api/v1/rating-pad");
    } catch (e) {
      if (e.status === 401 || e.status === 403) forget();
      return;
    }
    if (n === asked) apply(view);
  }

  function apply(view) {
    state = view;
    $("p-wnum").textContent = state.window.number; $("p-wnum-en").textContent = state.window.number;
    $("p-clerk").textContent = state.window.clerk_name ? "工作人员 " + state.window.clerk_name : "";
    if (!$("p-levels").children.length) buildLevels();
    if (Date.now() < thanksUntil) return;
    const screen = root.dataset.screen;
    if (state.offer && (!offer || offer.ticket.id !== state.offer.ticket.id)) {
      offer = state.offer; $("p-ticket").textContent = offer.ticket.number + " 号，"; show("rate");
    } else if (!state.offer && screen !== "detail") {
      offer = null; show("welcome");
    } else if (screen === "loading" || screen === "thanks") {
      show(offer ? "rate" : "welcome");
    }
  }

  function follow() {
    if (!token) return show("setup");
    live = hallops.live.connect({
      hall: root.dataset.hall, token, snapshot: true,
      onSnapshot(view) { asked += 1; apply(view); },
      // Catch-up events come before a fresh snapshot: only live ones ask again.
      onEvent(ev, info) { if (!info.replay) refresh(); },
      // The pad faces the citizen: no red banner; the fallback poll covers a lost link (and a link that never
      // opened, e.g. a proxy without websockets, is not left on the loading screen until the first poll).
      onStatus(status) { root.dataset.live = status; if (status === "lost" && !state) refresh(); },
      onRevoked: forget,
    });
    setInterval(refresh, FALLBACK_MS);
  }

  $("p-back").addEventListener("click", () => show("rate"));
  $("p-submit").addEventListener("click", submit);
  follow();
})();
