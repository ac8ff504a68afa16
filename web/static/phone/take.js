// 一码取号: the hall's menu on the phone. A tap on a service (or on a bundle, 一件事一次办: one number for several
// departments in turn) opens a confirmation (the queue and how many wait);
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
  const TZ = root.dataset.tz || undefined;
  let menu = null, busy = false, chosen = null, opener = null, searchSeq = 0, searchTimer = null;

  function key() { const b = new Uint8Array(16); crypto.getRandomValues(b); return Array.from(b, x => x.toString(16).padStart(2, "0")).join(""); }

  function button(q, hit) {
    return '<button type="button" class="p-q" data-queue="' + esc(q.prefix) + '"' + (hit ? ' data-hit="' + esc(hit) + '"' : '') + '>' +
      '<b class="p-prefix">' + esc(q.prefix) + '</b>' +
      '<span class="p-qn"><span class="zh">' + esc(q.name) + '</span> <small class="en">' + esc(q.name_en) + '</small>' +
      (hit ? '<span class="p-hit">' + esc(hit) + '</span>' : '') + '</span>' +
      '<span class="p-w"><b>' + q.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span></button>';
  }

  // A bundle: its name, how many wait at its first stop, its steps in order (item and department).
  function bundleButton(b) {
    const steps = (lang) => b.steps.map((st, n) => (n + 1) + " " + (lang === "en" ? (st.item_en || st.item) + (st.department_en ? " (" + st.department_en + ")" : "")
      : st.item + (st.department ? "（" + st.department + "）" : ""))).join(" → ");
    return '<button type="button" class="p-b" data-bundle="' + b.id + '">' +
      '<span class="p-qn"><span class="zh">' + esc(b.name) + '</span> <small class="en">' + esc(b.name_en) + '</small></span>' +
      '<span class="p-w"><b>' + b.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span>' +
      '<span class="p-bsteps"><span class="zh">' + esc(steps("zh")) + '</span><span class="en-only">' + esc(steps("en")) + '</span></span></button>';
  }

  // Search runs on the server (pinyin, initials, English, common words): hallops/domain/search.py.
  async function searchHall(s) {
    const seq = ++searchSeq;
    let hits = [], found = [];
    try {
      ({ hits, bundles: found } = await hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/search?q=" + encodeURIComponent(s.slice(0, 40))));
    } catch (e) { showMessage(e.message); return; }
    if (seq !== searchSeq) return;   // a newer search is on its way
    const by = Object.fromEntries(menu.queues.map(q => [q.prefix, q]));
    const bundles = (found || []).map(id => menu.bundles.find(b => b.id === id)).filter(Boolean);   // bundles first
    menuEl.innerHTML = bundles.map(bundleButton).join("") +
      hits.filter(h => by[h.queue]).map(h => button(by[h.queue], h.item + (h.item_en ? " · " + h.item_en : ""))).join("") ||
      '<p role="status"><span class="zh">没有找到，请换个说法或按类别选择</span> <small class="en">Nothing found: try other words or pick a category</small></p>';
  }

  function render(filter) {
    const s = (filter || "").trim();
    const by = Object.fromEntries(menu.queues.map(q => [q.prefix, q]));
    clearTimeout(searchTimer);
    if (s) { searchTimer = setTimeout(() => searchHall(s), 150); return; }
    searchSeq++;
    menuEl.innerHTML = menu.categories.map(c => '<h2 class="p-cat"><span class="zh">' + esc(c.zh) + '</span> <small class="en">' + esc(c.en) + '</small></h2>' +
      (c.bundles ? '<p class="p-bnote"><span class="zh">一次取号，按顺序到各部门窗口办理，号码不变</span> <small class="en">One ticket: each department in turn, the same number</small></p>' +
        menu.bundles.map(bundleButton).join("") : "") +
      c.queues.map(p => button(by[p])).join("")).join("");
  }

  function showMessage(text) { const msg = $("p-msg"); msg.innerHTML = said(text); msg.hidden = !text; }

  // -- the confirmation -----------------------------------------------------------------------------------
  function choose(prefix, hit) {
    const q = menu.queues.find(x => x.prefix === prefix);
    if (!q) return;
    chosen = { prefix, key: key() };   // one key per confirmation: a retry of it is the same ticket
    confirmSheet(q.prefix, q.name, q.name_en, q.waiting, hit);
  }
  function chooseBundle(id) {
    const b = menu.bundles.find(x => x.id === id);
    if (!b) return;
    chosen = { bundle: id, key: key() };
    const en = hallops.lang() === "en";
    const steps = b.steps.map((st, n) => (n + 1) + " " + (en ? st.item_en || st.item : st.item)).join(" → ");
    confirmSheet(b.stops[0], b.name, b.name_en, b.waiting, (en ? "Bundle: " : "一件事一次办：") + steps);
  }
  function confirmSheet(prefix, name, nameEn, waiting, hit) {
    $("p-confirm-prefix").textContent = prefix;
    $("p-confirm-name").textContent = name;
    $("p-confirm-name-en").textContent = nameEn || "";
    $("p-confirm-waiting").textContent = waiting;
    $("p-confirm-waiting-en").textContent = waiting;
    $("p-confirm-item").hidden = !hit;
    $("p-confirm-item").textContent = hit || "";
    showMessage("");
    opener = document.activeElement;
    $("p-confirm").hidden = false;
    $("p-confirm-h").focus();
  }
  function closeSheet() {
    if (busy || $("p-confirm").hidden) return;
    $("p-confirm").hidden = true; chosen = null;
    if (opener && document.contains(opener)) opener.focus();   // back where the citizen was
  }
  // The sheet is modal: Tab and Shift+Tab stay inside it.
  $("p-confirm").addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    const f = Array.from($("p-confirm").querySelectorAll("button:not([disabled])"));
    const first = f[0], last = f[f.length - 1];
    if (ev.shiftKey && (document.activeElement === first || document.activeElement === $("p-confirm-h"))) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  });

  async function take() {
    if (busy || !chosen) return;
    busy = true;
    $("p-confirm-go").disabled = true;
    const body = chosen.bundle ? { bundle: chosen.bundle } : { queue: chosen.prefix };
    const headers = { "Idempotency-Key": chosen.key };
    const url = "/api/v1/mobile/" + encodeURIComponent(HALL) + (chosen.bundle ? "/bundle-tickets" : "/tickets");
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

  menuEl.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-queue], [data-bundle]");
    if (b && b.dataset.bundle) chooseBundle(Number(b.dataset.bundle));
    else if (b) choose(b.dataset.queue, b.dataset.hit);
  });
  $("p-confirm-go").addEventListener("click", take);
  $("p-confirm-back").addEventListener("click", closeSheet);
  $("p-confirm").addEventListener("click", (ev) => { if (ev.target === $("p-confirm")) closeSheet(); });   // the backdrop
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeSheet(); });
  $("p-search").addEventListener("input", (ev) => render(ev.target.value));

  // -- my bookings and booking a time -----------------------------------------------------------------------
  const fmt = (iso) => new Date(iso).toLocaleString(hallops.lang() === "en" ? "en-GB" : "zh-CN",
    { month: "numeric", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ });
  function whenTexts() { document.querySelectorAll(".p-mine-b").forEach(li => { li.querySelector(".p-mine-when").textContent = fmt(Number(li.dataset.starts) * 1000); }); }
  whenTexts();
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-cancel-booking]");
    if (!b) return;
    try {
      await hallops.api("POST", "/api/v1/mobile/" + encodeURIComponent(HALL) + "/bookings/" + b.dataset.cancelBooking + "/cancel", {});
      b.outerHTML = '<span class="p-mine-s" role="status"><span class="zh">已取消</span> <small class="en">Cancelled</small></span>';
    } catch (e) { showMessage(e.message); }
  });
  const bookOpen = $("p-book-open"), form = $("p-book-form");
  async function loadSlots() {
    const sel = $("p-book-slot");
    try {
      const { slots } = await hallops.api("GET", "/api/v1/mobile/" + encodeURIComponent(HALL) + "/slots");
      const open = slots.filter(s => s.free > 0);
      sel.innerHTML = open.length ? open.map(s => '<option value="' + s.id + '">' + esc(s.queue + " " + s.queue_name) + " · " + esc(fmt(s.starts_at)) +
        "（余 " + s.free + "）</option>").join("") : '<option value="">暂无可预约时段 No open times</option>';
    } catch (e) { showMessage(e.message); }
  }
  if (bookOpen) bookOpen.addEventListener("click", () => {
    const show = form.hidden;
    form.hidden = !show; bookOpen.setAttribute("aria-expanded", String(show));
    if (show) { loadSlots(); $("p-book-slot").focus(); }
  });
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { slot: Number(form.slot.value), name: form.name.value.trim(), id_number: form.id_number.value.trim(), mobile: form.mobile.value.trim() };
    try {
      const b = await hallops.api("POST", "/api/v1/mobile/" + encodeURIComponent(HALL) + "/bookings", body);
      form.hidden = true; bookOpen.setAttribute("aria-expanded", "false");
      const done = $("p-book-done");
      done.innerHTML = '<p class="p-book-code"><span class="zh">预约成功，预约码</span> <small class="en">Booked. Your code</small> <b>' + esc(b.code) + '</b></p>' +
        '<p><span class="zh">' + esc(b.queue_name) + " · " + esc(fmt(b.starts_at)) + (b.mobile ? "，短信已发送至 " + esc(b.mobile) : "") + '</span>' +
        ' <small class="en">' + esc(fmt(b.starts_at)) + (b.mobile ? ", text sent to " + esc(b.mobile) : "") + '</small></p>';
      done.hidden = false; done.focus();
    } catch (e) { showMessage(e.message); $("p-msg").scrollIntoView({ block: "center" }); }
  });
  hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/menu").then(m => { menu = m; render(""); })
    .catch(e => showMessage(e.message));
})();
