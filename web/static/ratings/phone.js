// The citizen rates their visit from the phone (the ticket page's link, or the QR code on the slip): the whole
// visit once (一次一评) and, where one visit handled several items, each item once (一事一评).
"use strict";
(function () {
  const root = document.getElementById("rphone");
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const BAD = new Set(["dissatisfied", "very_dissatisfied"]);
  const SCORE = { very_satisfied: 5, satisfied: 4, basic: 3, dissatisfied: 2, very_dissatisfied: 1 };
  let st = null, target = "", level = null, inds = {}, reasons = new Set(), busy = false;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const url = "/api/v1/ticket-status/" + encodeURIComponent(token) + "/rating";

  function btn(cls, html, onClick) {
    const b = document.createElement("button"); b.type = "button"; b.className = cls; b.innerHTML = html;
    b.addEventListener("click", onClick); return b;
  }

  function ratedKeys() { return new Set(st.rated.map((r) => r.item || "")); }

  function render() {
    const t = st.ticket;
    $("r-ticket").textContent = `${t.number} · ${t.queue_name}${t.window_number ? " · " + t.window_number + " 号窗口" : ""}`;
    const done = ratedKeys();
    const open = st.can_rate || st.open_items.length > 0;
    $("r-closed").hidden = true; $("r-form").hidden = true; $("r-done").hidden = true;
    if (t.status !== "done") { $("r-closed").hidden = false; $("r-closed-msg").innerHTML = "办结后即可评价<small>You can rate once your business is done</small>"; return; }
    if (!open) {
      if (st.rated.length) { showDone(); return; }
      $("r-closed").hidden = false; $("r-closed-msg").innerHTML = "已超过评价时限<small>The time to rate this visit has passed</small>"; return;
    }
    const box = $("r-targets"); box.innerHTML = "";
    const targets = [{ code: "", name: "本次办事 This visit" }, ...st.items.map((i) => ({ code: i.code, name: i.name }))];
    if (done.has(target)) target = (targets.find((x) => !done.has(x.code)) || { code: "" }).code;
    if (st.items.length) {
      for (const x of targets) {
        const b = btn("r-target", esc(x.name) + (done.has(x.code) ? " ✓" : ""), () => { target = x.code; render(); });
        b.setAttribute("aria-pressed", x.code === target ? "true" : "false"); b.disabled = done.has(x.code);
        box.appendChild(b);
      }
    }
    const lv = $("r-levels"); lv.innerHTML = "";
    for (const l of st.levels) {
      const b = btn("r-level lv-" + l.key, `${esc(l.label)}<small>${esc(l.label_en)}</small>`, () => choose(l.key));
      b.dataset.level = l.key; b.setAttribute("aria-pressed", l.key === level ? "true" : "false"); lv.appendChild(b);
    }
    $("r-form").hidden = false;
  }

  function choose(key) {
    level = key; inds = {}; reasons = new Set();
    for (const b of document.querySelectorAll(".r-level")) b.setAttribute("aria-pressed", b.dataset.level === key ? "true" : "false");
    const box = $("r-inds"); box.innerHTML = "";
    for (const ind of st.indicators) {
      inds[ind.key] = SCORE[key];
      const row = document.createElement("div"); row.className = "r-ind";
      row.innerHTML = `<span>${esc(ind.label)} <small>${esc(ind.label_en)}</small></span>`;
      const stars = document.createElement("span");
      for (let i = 1; i <= 5; i++) {
        const s = btn("r-star", "★", () => { inds[ind.key] = i; paint(); });
        s.dataset.ind = ind.key; s.dataset.value = i; s.setAttribute("aria-label", ind.label + " " + i); stars.appendChild(s);
      }
      row.appendChild(stars); box.appendChild(row);
    }
    paint();
    const rb = $("r-reasons"); rb.innerHTML = "";
    for (const r of st.reasons) {
      const b = btn("r-reason", esc(r.label), () => {
        if (reasons.has(r.key)) reasons.delete(r.key); else reasons.add(r.key);
        b.setAttribute("aria-pressed", reasons.has(r.key) ? "true" : "false");
      });
      b.dataset.reason = r.key; b.setAttribute("aria-pressed", "false"); rb.appendChild(b);
    }
    $("r-bad").hidden = !BAD.has(key); $("r-more").hidden = false; $("r-error").hidden = true;
  }

  function paint() { for (const s of document.querySelectorAll(".r-star")) s.setAttribute("aria-pressed", Number(s.dataset.value) <= inds[s.dataset.ind] ? "true" : "false"); }

  function showDone() {
    $("r-done").hidden = false;
    const names = Object.fromEntries(st.items.map((i) => [i.code, i.name]));
    $("r-rated").innerHTML = st.rated.map((r) => `<li>${esc(r.item ? names[r.item] || r.item : "本次办事")}：${esc(r.level_name)}</li>`).join("");
  }

  async function submit() {
    if (busy || !level) return;
    const comment = $("r-comment").value.trim();
    if (BAD.has(level) && !reasons.size && !comment) { $("r-error").textContent = "请至少选择一个原因或留言 (tick a reason or leave a comment)"; $("r-error").hidden = false; return; }
    busy = true;
    try {
      const body = { level, indicators: inds, reasons: [...reasons], comment };
      if (target) body.item = target;
      const resp = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit" });
      const data = await resp.json();
      if (!resp.ok) { $("r-error").textContent = data.message; $("r-error").hidden = false; return; }
      level = null; $("r-more").hidden = true; $("r-comment").value = "";
      await load();
      if (!$("r-form").hidden) { $("r-done").hidden = false; showDone(); }
    } finally { busy = false; }
  }

  async function load() {
    const resp = await fetch(url, { credentials: "omit" });
    st = await resp.json();
    if (!resp.ok) { $("r-closed").hidden = false; $("r-closed-msg").textContent = st.message; return; }
    render();
  }

  $("r-submit").addEventListener("click", submit);
  load();
})();
