// 一码取号: the hall's menu on the phone; a tap takes a ticket (the device cookie counts against the hourly limit)
// and opens the ticket's live page. A double tap or a retry sends the same Idempotency-Key: one ticket.
"use strict";
(function () {
  const root = document.getElementById("p-take");
  const menuEl = document.getElementById("p-menu");
  if (!root || !menuEl) return;
  const HALL = root.dataset.hall;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  let menu = null, busy = false;

  function key() { const b = new Uint8Array(16); crypto.getRandomValues(b); return Array.from(b, x => x.toString(16).padStart(2, "0")).join(""); }

  function button(q, hit) {
    return '<button type="button" class="p-q" data-queue="' + esc(q.prefix) + '"><b class="p-prefix">' + esc(q.prefix) + '</b>' +
      '<span class="p-qn"><span class="zh">' + esc(q.name) + '</span><small class="en">' + esc(q.name_en) + '</small>' +
      (hit ? '<span class="p-hit">' + esc(hit) + '</span>' : '') + '</span>' +
      '<span class="p-w"><b>' + q.waiting + '</b><span class="zh">人等候</span><small class="en">waiting</small></span></button>';
  }

  function render(filter) {
    const s = (filter || "").trim().toLowerCase();
    const by = Object.fromEntries(menu.queues.map(q => [q.prefix, q]));
    if (s) {
      const hits = menu.queues.map(q => [q, q.items.find(n => n.toLowerCase().includes(s))])
        .filter(([q, item]) => item || q.name.toLowerCase().includes(s) || (q.name_en || "").toLowerCase().includes(s));
      menuEl.innerHTML = hits.map(([q, item]) => button(q, item)).join("") ||
        '<p><span class="zh">没有找到</span> <small class="en">Nothing found</small></p>';
      return;
    }
    menuEl.innerHTML = menu.categories.map(c => '<h2 class="p-cat"><span class="zh">' + esc(c.zh) + '</span> <small class="en">' + esc(c.en) + '</small></h2>' +
      c.queues.map(p => button(by[p])).join("")).join("");
  }

  async function take(prefix) {
    if (busy) return;
    busy = true;
    const msg = document.getElementById("p-msg");
    msg.hidden = true;
    const body = { queue: prefix };
    if (document.getElementById("p-elderly").checked) body.priority = "elderly";
    const k = key();
    try {
      let t = null, err = null;
      for (let i = 0; i < 3 && !t; i++) {
        try { t = await hallops.api("POST", "/api/v1/mobile/" + encodeURIComponent(HALL) + "/tickets", body, { "Idempotency-Key": k }); }
        catch (e) { err = e; if (e.status !== 0 && e.status !== 503) break; await new Promise(r => setTimeout(r, 700)); }
      }
      if (!t) throw err;
      location.href = t.url;
    } catch (e) {
      msg.textContent = e.message; msg.hidden = false;
      busy = false;
    }
  }

  menuEl.addEventListener("click", (ev) => { const b = ev.target.closest("[data-queue]"); if (b) take(b.dataset.queue); });
  document.getElementById("p-search").addEventListener("input", (ev) => render(ev.target.value));
  hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/menu").then(m => { menu = m; render(""); })
    .catch(e => { const msg = document.getElementById("p-msg"); msg.textContent = e.message; msg.hidden = false; });
})();
