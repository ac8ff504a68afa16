// The kiosk: choose a service (by category or by searching a service item's name), take a ticket in two taps,
// a bundle's ticket (一件事一次办: one number, several departments in turn), elderly priority, appointment check-in. The device token lives in localStorage (it arrives once in the URL
// fragment, which browsers never send to the server) and goes out as a Bearer header.
"use strict";
(function () {
  const root = document.getElementById("kiosk");
  const HALL = root.dataset.hall;
  const TZ = root.dataset.tz || undefined;
  const TOKEN_KEY = "hallops.kiosk.token";
  const IDLE_MS = 45000;        // back to the start when a citizen walks away
  const TICKET_SCREEN_S = 30;
  const RESULTS = 8;            // search rows that fit on the start screen, portrait or landscape
  const $ = (id) => document.getElementById(id);
  const { esc } = hallops;

  let token = null, menu = null, me = null, elderly = false, busy = false, idleTimer = null, countdown = null;
  let code = "";
  let session = null, person = null, searchSeq = 0, searchTimer = null;   // 一码取号: who was identified

  // -- the token ------------------------------------------------------------------------------------------
  const m = location.hash.match(/token=([A-Za-z0-9_\-]+)/);
  if (m) {
    try { localStorage.setItem(TOKEN_KEY, m[1]); } catch (e) { /* no storage: keep it for this page only */ }
    token = m[1];
    history.replaceState(null, "", location.pathname);   // never leave the token in the address bar
  }
  if (!token) { try { token = localStorage.getItem(TOKEN_KEY); } catch (e) { token = null; } }

  function key() {   // an Idempotency-Key: crypto.randomUUID needs https, getRandomValues does not
    const b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
  }

  async function call(method, url, body, extra) {
    const headers = Object.assign({ Authorization: "Bearer " + token }, extra || {});
    return hallops.api(method, url, body, headers);
  }

  // Retry a network failure with the same Idempotency-Key: the server gives back the ticket it made.
  async function issueWithRetry(url, body) {
    const k = key();
    let last;
    for (let i = 0; i < 3; i++) {
      try { return await call("POST", url, body, { "Idempotency-Key": k }); }
      catch (e) { last = e; if (e.status !== 0 && e.status !== 503) throw e; await new Promise(r => setTimeout(r, 600 * (i + 1))); }
    }
    throw last;
  }

  // -- screens --------------------------------------------------------------------------------------------
  function show(name, focusEl) {
    document.querySelectorAll(".k-screen").forEach(s => { s.hidden = s.id !== "k-" + name; });
    root.dataset.screen = name;
    clearInterval(countdown);
    armIdle();
    // Each new screen starts at its heading, so keyboard and screen-reader users begin at the top.
    const target = focusEl || document.querySelector("#k-" + name + " h1");
    if (target) target.focus({ preventScroll: true });
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (root.dataset.screen && root.dataset.screen !== "home" && root.dataset.screen !== "setup") {
      idleTimer = setTimeout(reset, IDLE_MS);
    }
  }

  function reset() {
    elderly = false; code = ""; renderElderly(); $("k-code").textContent = "";
    session = null; person = null; $("k-who").hidden = true; root.classList.remove("searching");
    $("k-search").value = ""; $("k-results").hidden = true; $("k-cats").hidden = false;
    show("home");
    loadMenu();
  }

  function toast(msg) {
    const t = $("k-toast");
    t.innerHTML = hallops.said(msg); t.hidden = false;   // "中文 (English)" shown in the page's language
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  function renderElderly() {
    $("k-elderly").setAttribute("aria-pressed", String(elderly));
    document.querySelectorAll(".k-elderly-note").forEach(n => { n.hidden = !elderly; });
  }

  // -- the menu -------------------------------------------------------------------------------------------
  async function loadMenu() {
    try {
      menu = await call("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/menu");
      renderCats();
    } catch (e) { toast(e.message); }
  }

  function queueButton(q, hint) {
    return '<button type="button" class="k-btn k-queue" data-queue="' + esc(q.prefix) + '">' +
      '<span class="k-prefix">' + esc(q.prefix) + '</span>' +
      '<span class="k-qname"><span class="zh">' + esc(q.name) + '</span> <small class="en">' + esc(q.name_en) + '</small>' +
      (hint ? '<span class="k-hit">' + esc(hint) + '</span>' : '') + '</span>' +
      '<span class="k-waiting"><b>' + q.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span></button>';
  }

  function renderCats() {
    $("k-cats").innerHTML = menu.categories.map((c, i) =>
      '<button type="button" class="k-btn k-cat' + (c.bundles ? ' k-cat-bundles' : '') + '" data-cat="' + i + '"><span class="zh">' + esc(c.zh) + '</span> ' +
      '<small class="en">' + esc(c.en) + '</small><span class="k-cat-n">' + (c.bundles
        ? menu.bundles.length + ' <span class="zh">个套餐，一次取号</span> <small class="en">bundles, one ticket</small>'
        : c.queues.length + ' <span class="zh">项业务</span> <small class="en">services</small>') + '</span></button>'
    ).join("");
  }

  function openCat(i) {
    const c = menu.categories[i];
    const title = '<span class="zh">' + esc(c.zh) + '</span> <small class="en">' + esc(c.en) + '</small>';
    const byPrefix = Object.fromEntries(menu.queues.map(q => [q.prefix, q]));
    if (c.bundles) {   // the hall's bundles, then the bundle windows' own queues (a bundle not listed here)
      $("k-bundles-title").innerHTML = title;
      $("k-bundle-list").innerHTML = menu.bundles.map(bundleButton).join("") + (c.queues.length
        ? '<h2 class="k-bundle-more"><span class="zh">其他一件事（一件事窗口）</span> <small class="en">Other bundles (bundle windows)</small></h2>' +
          c.queues.map(p => queueButton(byPrefix[p])).join("") : "");
      return show("bundles");
    }
    $("k-cat-title").innerHTML = title;
    $("k-queue-list").innerHTML = c.queues.map(p => queueButton(byPrefix[p])).join("");
    show("queues");
  }

  // A bundle: its name, its steps in order (the item and its department; English ones in English mode), how
  // many wait at its first stop.
  function bundleButton(b) {
    const steps = b.steps.map((st, n) => '<span class="k-bstep"><b class="k-bn">' + (n + 1) + '</b>&nbsp;' +
      '<span class="zh">' + esc(st.item) + (st.department ? ' <small>' + esc(st.department) + '</small>' : '') + '</span>' +
      '<span class="en-only">' + esc(st.item_en || st.item) + (st.department_en ? ' <small>' + esc(st.department_en) + '</small>' : '') + '</span></span>').join(" ");
    return '<button type="button" class="k-btn k-bundle" data-bundle="' + b.id + '">' +
      '<span class="k-bname"><span class="zh">' + esc(b.name) + '</span> <small class="en">' + esc(b.name_en) + '</small></span>' +
      '<span class="k-waiting"><b>' + b.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span>' +
      '<span class="k-bsteps">' + steps + '</span></button>';
  }

  function bundleResult(b) {
    return '<button type="button" class="k-btn k-bresult" data-bundle="' + b.id + '">' +
      '<span class="k-btag"><span class="zh">一件事</span><span class="en-only">Bundle</span></span>' +
      '<span class="k-rname"><span class="zh">' + esc(b.name) + '</span> <small class="en">' + esc(b.name_en) + '</small>' +
      '<span class="k-rq"><span class="zh">共 ' + b.steps.length + ' 步，一次取号，号码不变</span> <small class="en">' + b.steps.length + ' steps, one ticket</small></span></span>' +
      '<span class="k-waiting"><b>' + b.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span></button>';
  }

  // Search runs on the server (Chinese, pinyin, initials, English, common words; hallops/domain/search.py),
  // best first: one row per service item, the category tiles hidden meanwhile.
  function resultButton(h) {
    return '<button type="button" class="k-btn k-result" data-queue="' + esc(h.queue) + '">' +
      '<span class="k-prefix">' + esc(h.queue) + '</span>' +
      '<span class="k-rname"><span class="zh">' + esc(h.item) + '</span> <small class="en">' + esc(h.item_en) + '</small>' +
      '<span class="k-rq"><span class="zh">' + esc(h.queue_name) + '</span> <small class="en">' + esc(h.queue_name_en) + '</small></span></span>' +
      '<span class="k-waiting"><b>' + h.waiting + '</b> <span class="zh">人等候</span> <small class="en">waiting</small></span></button>';
  }

  function search(text) {
    const s = text.trim();
    clearTimeout(searchTimer);
    armIdle();
    if (!s) { searchSeq++; $("k-results").hidden = true; $("k-cats").hidden = false; root.classList.remove("searching"); return; }
    $("k-cats").hidden = true; root.classList.add("searching");
    searchTimer = setTimeout(async () => {
      const seq = ++searchSeq;
      let hits, found;
      try {
        ({ hits, bundles: found } = await call("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/search?q=" + encodeURIComponent(s.slice(0, 40))));
      } catch (e) { toast(e.message); return; }
      if (seq !== searchSeq) return;   // a newer search is on its way
      // Bundles whose name matches first (two at most), then the items: RESULTS rows in all, as many as fit.
      const bundles = (found || []).map(id => ((menu && menu.bundles) || []).find(b => b.id === id)).filter(Boolean).slice(0, 2);
      hits = hits.slice(0, RESULTS - bundles.length);
      $("k-results").innerHTML = hits.length || bundles.length ? bundles.map(bundleResult).join("") + hits.map(resultButton).join("") :
        '<p class="k-none"><span class="zh">没有找到，请换个说法、按类别选择或咨询导服人员</span> <small class="en">Nothing found: try other words, choose a category or ask staff</small></p>';
      $("k-results").hidden = false;
    }, 120);
  }

  // -- issuing --------------------------------------------------------------------------------------------
  async function issuing(request) {
    if (busy) return;        // a double tap: the first tap's request is the only one
    busy = true;
    root.classList.add("busy");
    try {
      await showTicket(await request());
    } catch (e) {
      toast(e.message);
      if (e.code === "identity_expired") { session = null; person = null; $("k-who").hidden = true; }
    } finally {
      busy = false; root.classList.remove("busy");
    }
  }

  function take(prefix) {
    return issuing(() => {
      if (session) {   // 一码取号: a real-name ticket, counted against the person's daily limit
        return call("POST", "/api/v1/kiosk/real-name-tickets", { session: session, queue: prefix, hall: HALL });
      }
      const body = { queue: prefix, channel: "kiosk" };
      if (elderly) body.priority = "elderly";
      return issueWithRetry("/api/v1/tickets", body);
    });
  }

  // 一件事一次办: the ticket is issued at the bundle's first stop and sent on, with its number, at each finish.
  function takeBundle(id) {
    if (session) { toast("一件事暂不能实名取号，请点“返回”后直接选择 (a bundle takes no real-name ticket: tap Back and choose it again)"); return; }
    return issuing(() => {
      const body = { channel: "kiosk" };
      if (elderly) body.priority = "elderly";
      return issueWithRetry("/api/v1/bundles/" + id + "/tickets", body);
    });
  }

  async function checkIn() {
    if (busy || code.length < 4) { if (code.length < 4) toast("请输入完整的预约码 (enter the whole code)"); return; }
    busy = true;
    try {
      const t = await call("POST", "/api/v1/appointments/check-in", { code: code, hall: HALL });
      await showTicket(t);
    } catch (e) { toast(e.message); }
    finally { busy = false; }
  }

  function waitText(est) {
    if (!est) return ["—", ""];
    if (est.high_minutes <= 2) return ["即将叫号", "any moment now"];
    if (est.low_minutes <= 0) return [est.high_minutes + " 分钟以内", "under " + est.high_minutes + " min"];
    return ["约 " + est.low_minutes + "–" + est.high_minutes + " 分钟", "about " + est.low_minutes + "–" + est.high_minutes + " min"];
  }

  // -- 一码取号: the scanner types the code into the focused field and ends it with Enter -----------------------
  async function identify(scanned) {
    if (busy) return;
    busy = true;
    try {
      const who = await call("POST", "/api/v1/kiosk/identify", { code: scanned, hall: HALL });
      session = who.session; person = who.person;
      const en = hallops.lang() === "en";
      $("k-person-title").innerHTML = '<span class="zh">您好，' + esc(person.name) + '</span> <small class="en">Hello, ' + esc(person.name) + '</small>';
      $("k-who").innerHTML = '<span class="zh">实名取号：' + esc(person.name) + '（' + esc(person.id) + '）</span> <small class="en">Real-name ticket for ' + esc(person.name) + '</small>';
      $("k-who").hidden = false;
      const bk = who.booking;
      $("k-p-booking").hidden = !bk;
      if (bk) {
        const time = new Date(bk.starts_at).toLocaleTimeString(en ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ });
        $("k-p-booking").innerHTML = '<p><span class="zh">您今天 ' + esc(time) + ' 预约了 ' + esc(bk.queue_name) + '</span> <small class="en">Your booking today at ' +
          esc(time) + ': ' + esc(bk.queue_name_en) + '</small></p><button type="button" class="k-btn primary k-wide" id="k-p-checkin"><span class="zh">签到取号</span> <small class="en">Check in</small></button>';
      }
      $("k-p-tickets").innerHTML = who.tickets.length ? '<h2><span class="zh">您今天的号</span> <small class="en">Your tickets today</small></h2><ul>' +
        who.tickets.map(x => '<li><b>' + esc(x.number) + '</b> <span class="zh">' + esc(x.queue_name) + '</span> <small class="en">' + esc(x.queue_name_en) + '</small></li>').join("") + '</ul>' : "";
      show("person");
    } catch (e) {
      toast(e.message);
      if (e.code === "identity_unavailable") reset();   // the provider is down: ordinary tickets still work
      else { $("k-scan-input").value = ""; $("k-scan-input").focus(); }
    } finally { busy = false; }
  }

  async function checkInBooking() {
    if (busy || !session) return;
    busy = true;
    try { await showTicket(await call("POST", "/api/v1/kiosk/real-name-tickets", { session: session, hall: HALL })); }
    catch (e) { toast(e.message); }
    finally { busy = false; }
  }

  async function showTicket(t) {
    let st = null;
    try { st = await hallops.api("GET", "/api/v1/ticket-status/" + t.token); } catch (e) { st = null; }
    const ahead = st ? st.people_ahead : t.people_ahead;
    const [wz, we] = waitText(st && st.estimated_wait);
    $("k-t-number").textContent = t.number;
    $("k-t-queue").innerHTML = '<span class="zh">' + esc(t.queue_name) + '</span> <small class="en">' + esc(t.queue_name_en) + '</small>';
    const tags = [];
    if (t.priority === "elderly") tags.push('<span class="k-tag">老年人优先 <small>Elderly priority</small></span>');
    if (t.appointment) tags.push('<span class="k-tag">预约 ' + esc(new Date(t.appointment.starts_at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ })) + ' <small>Appointment</small></span>');
    $("k-t-tags").innerHTML = tags.join("");
    const route = bundleRoute(t);
    $("k-t-route").hidden = !route;
    $("k-t-route").innerHTML = route ? route.html : "";
    $("slip-route").textContent = route ? route.slip : "";
    $("k-t-person").hidden = !t.person;
    $("k-t-person").textContent = t.person ? t.person.name + " · " + t.person.id : "";
    $("k-t-ahead").innerHTML = '<b>' + ahead + '</b> <span class="zh">人</span> <small class="en">people</small>';
    $("k-t-wait").innerHTML = '<span class="zh">' + esc(wz) + '</span> <small class="en">' + esc(we) + '</small>';
    const qr = "/t/" + encodeURIComponent(t.token) + "/qr.svg";
    $("k-t-qr").src = qr;
    $("slip-number").textContent = t.number;
    $("slip-queue").textContent = t.queue_name + (t.priority === "elderly" ? "（老年人优先）" : "");
    $("slip-ahead").textContent = "前面还有 " + ahead + " 人 · 预计 " + wz;
    $("slip-time").textContent = new Date(t.issued_at).toLocaleString("zh-CN", { hour12: false, timeZone: TZ });
    $("slip-qr").src = qr;
    elderly = false; renderElderly(); code = ""; $("k-code").textContent = "";
    session = null; person = null; $("k-who").hidden = true;
    show("ticket");
    // Said by screen readers at once: the number, where to wait, how many are ahead.
    $("k-say").textContent = hallops.lang() === "en"
      ? "Your ticket number is " + t.number + ". " + ahead + " people ahead of you."
      : "取号成功，您的号码是 " + t.number + "，前面还有 " + ahead + " 人。";
    let left = TICKET_SCREEN_S;
    $("k-countdown").textContent = "(" + left + ")";
    countdown = setInterval(() => { left -= 1; $("k-countdown").textContent = "(" + left + ")"; if (left <= 0) reset(); }, 1000);
    printTicket(t);
  }

  // A bundle ticket's route: where it goes after this queue, its number kept (null: an ordinary ticket).
  function bundleRoute(t) {
    if (!t.bundle) return null;
    const b = ((menu && menu.bundles) || []).find(x => x.id === t.bundle.id);
    const names = Object.fromEntries(((menu && menu.queues) || []).map(q => [q.prefix, q]));
    const stops = b ? b.stops.map(p => names[p] || { prefix: p, name: p, name_en: p }) : [];
    const n = t.bundle.stops;
    return {
      html: '<p><span class="zh">一件事一次办：' + esc(t.bundle.name) + '，共 ' + n + ' 站，号码不变</span> ' +
        '<small class="en">' + esc(b ? b.name_en || b.name : t.bundle.name) + ': ' + n + ' stops, the same number</small></p>' +
        (stops.length ? '<ol class="k-t-stops">' + stops.map(q => '<li><b>' + esc(q.prefix) + '</b> <span class="zh">' + esc(q.name) + '</span> <small class="en">' + esc(q.name_en) + '</small></li>').join("") + '</ol>' : ""),
      slip: "一件事：" + t.bundle.name + "（共 " + n + " 站，号码不变）" + (stops.length ? " " + stops.map(q => q.name).join(" → ") : ""),
    };
  }

  async function printTicket(t) {
    const out = $("k-t-print");
    out.className = "k-print"; out.textContent = "";
    const mode = me && me.printer ? me.printer.mode : "browser";
    if (mode === "none") return;
    if (mode === "browser") {
      // The slip's QR image must be loaded before the page is printed.
      const img = $("slip-qr");
      if (!img.complete) await new Promise(r => { img.onload = img.onerror = r; setTimeout(r, 1500); });
      try { window.print(); } catch (e) { /* no printer: the ticket is on screen */ }
      return;
    }
    out.innerHTML = '<span class="zh">正在打印…</span> <small class="en">Printing…</small>';
    try {
      const r = await call("POST", "/api/v1/kiosk/print", { ticket_id: t.id });
      if (r.printed) { out.innerHTML = '<span class="zh">请取走号票</span> <small class="en">Please take your ticket</small>'; return; }
      throw new Error(r.message || "printer fault");
    } catch (e) {
      out.className = "k-print fault";
      out.innerHTML = '<span class="zh">打印机故障，号票已生效：请记下号码或扫码保存。</span> ' +
        '<small class="en">Printer fault — your ticket is valid: note the number or scan the code.</small>';
    }
  }

  // -- events ---------------------------------------------------------------------------------------------
  root.addEventListener("click", (ev) => {
    armIdle();
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.go === "home") return reset();
    if (b.dataset.cat !== undefined) return openCat(Number(b.dataset.cat));
    if (b.dataset.bundle) return takeBundle(Number(b.dataset.bundle));
    if (b.dataset.queue) return take(b.dataset.queue);
    if (b.id === "k-elderly") { elderly = !elderly; renderElderly(); return; }
    if (b.id === "k-appt-open") { code = ""; $("k-code").textContent = ""; return show("checkin"); }
    if (b.id === "k-scan-open") { $("k-scan-input").value = ""; return show("scan", $("k-scan-input")); }
    if (b.id === "k-p-checkin") return checkInBooking();
    if (b.id === "k-p-choose") { show("home"); return; }
    if (b.dataset.key) return press(b.dataset.key);
    if (b.id === "k-checkin-go") return checkIn();
  });

  function press(k) {
    if (k === "⌫") code = code.slice(0, -1); else if (k === "C") code = ""; else if (code.length < 16) code += k;
    $("k-code").textContent = code;
    armIdle();
  }
  // A physical keypad (or keyboard) on the check-in screen: digits, Backspace, Delete / Escape to clear, Enter.
  document.addEventListener("keydown", (ev) => {
    if (root.dataset.screen !== "checkin" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (/^[0-9]$/.test(ev.key)) { ev.preventDefault(); press(ev.key); }
    else if (ev.key === "Backspace") { ev.preventDefault(); press("⌫"); }
    else if (ev.key === "Delete") { ev.preventDefault(); press("C"); }
    else if (ev.key === "Escape") { ev.preventDefault(); reset(); }
    else if (ev.key === "Enter" && !(ev.target && ev.target.closest && ev.target.closest("button"))) { ev.preventDefault(); checkIn(); }
  });
  // A scanner that types like a keyboard, used on the start screen without touching 一码取号 first: a burst of
  // keys (each within 120 ms of the last; people type slower) ending in Enter, outside any field, is an identity code.
  let burst = "", burstAt = 0;
  document.addEventListener("keydown", (ev) => {
    if (root.dataset.screen !== "home" || (ev.target && ev.target.matches && ev.target.matches("input, textarea"))) return;
    const now = performance.now();
    if (now - burstAt > 120) burst = "";
    burstAt = now;
    if (ev.key === "Enter" && burst.length >= 8) { ev.preventDefault(); const code = burst; burst = ""; identify(code); return; }
    if (ev.key.length === 1) burst += ev.key;
  });
  $("k-search").addEventListener("input", (ev) => search(ev.target.value));
  $("k-scan-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("k-scan-input").value.trim();
    if (v) identify(v);
  });

  function tick() {
    const d = new Date();
    const loc = hallops.lang() === "en" ? "en-GB" : "zh-CN";
    $("k-clock").textContent = d.toLocaleDateString(loc, { month: "long", day: "numeric", weekday: "short", timeZone: TZ }) + " " +
      d.toLocaleTimeString(loc, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ });
  }
  document.addEventListener("click", (ev) => { if (ev.target.closest('[data-action="toggle-lang"]')) setTimeout(tick, 0); });

  async function start() {
    if (!token) return show("setup");
    try {
      me = await call("GET", "/api/v1/kiosk/me?hall=" + encodeURIComponent(HALL));
    } catch (e) {
      if (e.status === 401 || e.status === 403) {
        try { localStorage.removeItem(TOKEN_KEY); } catch (x) { /* ignore */ }
        token = null; show("setup");
        const err = $("k-setup").querySelector(".k-error"); err.textContent = " (" + e.code + ")"; err.hidden = false;
        return;
      }
      me = null;
    }
    reset();
  }

  tick(); setInterval(tick, 15000);
  setInterval(() => { if (root.dataset.screen === "home" && token) loadMenu(); }, 30000);  // waiting counts
  start();
  window.hallopsKiosk = { get busy() { return busy; } };
})();
