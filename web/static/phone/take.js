// 一码取号: the hall's menu on the phone. A tap on a service opens a confirmation (the queue and how many wait);
// "确认取号" takes the ticket (the signed device cookie counts against the hourly limit) and opens its live page.
// A double tap or a retry sends the same Idempotency-Key: one ticket.
"use strict";
(function () {
  const root = document.getElementById("p-take");
  const menuEl = document.getElementById("p-menu");
  if (!root || !menuEl) return;
  const HALL = root.dataset.hall;
  const $ = (id) => document.getElementById(id);
  const { esc } = hallops;
  const { said } = hallops;
  let menu = null, busy = false, chosen = null;

  function key() { const b = new Uint8Array(16); crypto.getRandomValues(b); return Array.from(b, x => x.toString(16).padStart(2, "0")).join(""); }

  function button(q, hit) {
    return '<button type="button" class="p-q" data-queue="' + esc(q.prefix) + '"' + (hit ? ' data-hit="' + esc(hit) + '"' : '') + '>' +
      '<b class="p-prefix">' + esc(q.prefix) + '</b>' +
      '<span class="p-qn"><span class="zh">' + esc(q.name) + '</span> <small class="en">' + esc(q.name_en) + '</small>' +
      (hit ? '<span class="p-hit">' + esc(hit) + '</span>' : '') + '</span>' +
      '<span class="p-w"><b>' + q.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span></button>';
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

  function showMessage(text) { const msg = $("p-msg"); msg.innerHTML = said(text); msg.hidden = !text; }

  // -- the confirmation -----------------------------------------------------------------------------------
  function choose(prefix, hit) {
    const q = menu.queues.find(x => x.prefix === prefix);
    if (!q) return;
    chosen = { prefix, key: key() };   // one key per confirmation: a retry of it is the same ticket
    $("p-confirm-prefix").textContent = q.prefix;
    $("p-confirm-name").textContent = q.name;
    $("p-confirm-name-en").textContent = q.name_en || "";
    $("p-confirm-waiting").textContent = q.waiting;
    $("p-confirm-waiting-en").textContent = q.waiting;
    $("p-confirm-item").hidden = !hit;
    $("p-confirm-item").textContent = hit || "";
    showMessage("");
    $("p-confirm").hidden = false;
    $("p-confirm-go").focus();
  }
  function closeSheet() { if (busy) return; $("p-confirm").hidden = true; chosen = null; }

  async function take() {
    if (busy || !chosen) return;
    busy = true;
    $("p-confirm-go").disabled = true;
    const body = { queue: chosen.prefix };
    const headers = { "Idempotency-Key": chosen.key };
    const url = "/api/v1/mobile/" + encodeURIComponent(HALL) + "/tickets";
    try {
      let t = null, err = null;
      for (let i = 0; i < 3 && !t; i++) {
        try { t = await hallops.api("POST", url, body, headers); }
        catch (e) {
          err = e;
          // device_unknown: the answer set this phone's cookie, so once more is enough.
          if (e.code === "device_unknown" && i === 0) continue;
          if (e.status !== 0 && e.status !== 503) break;
          await new Promise(r => setTimeout(r, 700));
        }
      }
      if (!t) throw err;
      location.href = t.url;
    } catch (e) {
      busy = false;
      $("p-confirm-go").disabled = false;
      closeSheet();
      showMessage(e.message);
      $("p-msg").scrollIntoView({ block: "center" });
    }
  }

  menuEl.addEventListener("click", (ev) => { const b = ev.target.closest("[data-queue]"); if (b) choose(b.dataset.queue, b.dataset.hit); });
  $("p-confirm-go").addEventListener("click", take);
  $("p-confirm-back").addEventListener("click", closeSheet);
  $("p-confirm").addEventListener("click", (ev) => { if (ev.target === $("p-confirm")) closeSheet(); });   // the backdrop
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeSheet(); });
  $("p-search").addEventListener("input", (ev) => render(ev.target.value));
  hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/menu").then(m => { menu = m; render(""); })
    .catch(e => showMessage(e.message));
})();
