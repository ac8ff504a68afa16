// The help desk (咨询导办台): keyboard first. Type the ID number and the name, Enter; the citizen is shown
// masked with their tickets and booking of today; pick the booking or a service item (↑ ↓, or type), an
// optional mobile for a text, Enter; the ticket is shown (P prints it), Enter or Esc for the next citizen.
// The ID number is checked here (18 signs, GB 11643 check digit) before any request, and again by the server.
// Nothing personal goes into a URL, and the typed number and name leave the screen once the check is done.
"use strict";
(function () {
  const root = document.getElementById("desk");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const { esc, said } = hallops;
  const HALL = root.dataset.hall;
  const TZ = root.dataset.tz || undefined;
  const bi = (zh, en) => '<span class="zh">' + zh + '</span> <small class="en">' + en + '</small>';
  const AHEAD = 3;   // the text goes when this many are ahead (the subscription's default)

  // -- the resident ID number (GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 signs) ------------------
  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const CHECK = "10X98765432";
  const cleanId = (v) => String(v || "").replace(/\s/g, "").toUpperCase();
  function idProblem(v) {
    if (v.length !== 18) return ["身份证号码应为 18 位，已输入 " + v.length + " 位", "an ID number has 18 signs: " + v.length + " typed"];
    if (!/^\d{17}[\dX]$/.test(v)) return ["前 17 位应为数字，末位为数字或 X", "17 digits, then a digit or X"];
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(v[i]) * WEIGHTS[i];
    if (CHECK[sum % 11] !== v[17]) return ["身份证号码校验位不符，请核对", "the check digit does not match: check the number"];
    return null;
  }
  const cleanMobile = (v) => String(v || "").replace(/[\s-]/g, "").replace(/^\+?86(?=1\d{10}$)/, "");

  // What the desk is told, in the desk's words (the API's are written for the kiosk's citizen).
  const DESK_TEXT = {
    identity_rejected: bi("身份证号码与姓名不符，或查无此人：请核对后重试", "The ID number and the name do not match anyone: check them and try again"),
    identity_unavailable: bi("身份核验服务暂不可用（未应答），请稍后按回车重试", "The identity service is not answering: press Enter to try again shortly"),
    identity_expired: bi("核验已过期，请重新输入身份证号码核验", "The identity check expired: type the ID number again"),
    network_error: bi("网络连接失败，请重试", "Network error: try again"),
  };
  const told = (e) => DESK_TEXT[e.code] || said(e.message);

  let session = null, person = null, booking = null, today = [], limit = null, queues = [];
  let mode = null;      // "real": an identified citizen; "ordinary": the provider is down, no real name
  let options = [], hl = 0, busy = false, searchSeq = 0, searchTimer = null;

  function show(el, html) { el.innerHTML = html || ""; el.hidden = !html; }
  function step(name) { root.dataset.step = name; }
  const hhmm = (iso) => iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ }) : "";

  // -- start: the hall's queues (for letters typed) and the per-person limit ------------------------------
  async function load() {
    try { queues = (await hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/menu")).queues; } catch (e) { queues = []; }
    try { limit = (await hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/citizen-settings")).person_daily_limit; } catch (e) { limit = null; }
  }

  // -- identify -------------------------------------------------------------------------------------------
  function idError(html, field) {
    show($("hd-id-error"), html);
    $("hd-idnum").setAttribute("aria-invalid", field === "id" ? "true" : "false");
    if (field) $(field === "id" ? "hd-idnum" : "hd-name").focus();
  }

  async function identify() {
    if (busy) return;
    const number = cleanId($("hd-idnum").value), name = $("hd-name").value.trim();
    const problem = idProblem(number);
    if (problem) return idError(bi(esc(problem[0]), esc(problem[1])), "id");
    if (!name) return idError(bi("请输入市民姓名", "Type the citizen's name"), "name");
    idError("", null);
    busy = true; root.classList.add("busy");
    try {
      const who = await hallops.api("POST", "/api/v1/kiosk/identify", { id_number: number, name: name, hall: HALL });
      clearTyped();
      session = who.session; person = who.person; booking = who.booking; today = who.tickets || [];
      mode = "real";
      renderPerson();
      await openTake();
    } catch (e) {
      if (e.code === "identity_unavailable") { idError(told(e), null); offerOrdinary(); }
      else idError(told(e), e.code === "bad_id_number" || e.code === "identity_rejected" ? "id" : null);
    } finally { busy = false; root.classList.remove("busy"); }
  }

  function clearTyped() {
    $("hd-idnum").value = ""; $("hd-name").value = "";
    $("hd-id-count").textContent = "0/18"; $("hd-id-count").classList.remove("done");
  }

  function renderPerson() {
    $("hd-p-name").textContent = person.name;
    $("hd-p-id").textContent = person.id;
    const n = today.length;
    $("hd-p-count").innerHTML = limit ? bi("今日已取 " + n + " 个号，每人每日上限 " + limit + " 个", n + " ticket(s) today; the limit is " + limit + " a person a day")
                                      : bi("今日已取 " + n + " 个号", n + " ticket(s) today");
    $("hd-p-count").classList.toggle("full", !!limit && n >= limit);
    $("hd-p-tickets").innerHTML = today.map(t => '<li><b>' + esc(t.number) + '</b> ' + bi(esc(t.queue_name), esc(t.queue_name_en || t.queue_name)) + '</li>').join("");
    $("hd-person").hidden = false;
  }

  function offerOrdinary() {
    // The provider is down: the desk may still give an ordinary ticket (not real-name, not counted).
    $("hd-take-wait").hidden = true;
    show($("hd-down"), bi("身份核验服务暂不可用。市民不能等时，可为其取普通号（不实名，不计入每人每日上限）。",
                          "The identity service is down. If the citizen cannot wait, take an ordinary ticket (no real name, not counted in the daily limit).") +
      ' <button type="button" id="hd-ordinary">' + bi("取普通号", "Ordinary ticket") + '</button>');
  }

  async function openTake() {
    await ready;   // the hall's queues, for the list
    $("hd-down").hidden = true;
    $("hd-take-wait").hidden = true;
    $("hd-take-body").hidden = false;
    show($("hd-take-error"), "");
    if (booking) {
      show($("hd-booking"), '<b>' + bi("今日预约", "Booked today") + '</b> ' + esc(hhmm(booking.starts_at)) + ' · ' +
        bi(esc(booking.queue_name), esc(booking.queue_name_en || booking.queue_name)) + ' · ' + bi("预约码 ", "code ") + '<span class="hd-mono">' + esc(booking.code) + '</span>');
    } else {
      show($("hd-booking"), mode === "real" ? bi("今天没有预约", "No booking today") : "");
    }
    $("hd-item").value = "";
    $("hd-mobile").value = "";
    list("");
    step("take");
    $("hd-item").focus();
  }

  // -- choosing: the booking, a queue by its letter, or service items found by the hall's search ----------
  function queueOption(q) {
    return { kind: "queue", queue: q.prefix, zh: q.name, en: q.name_en || q.name, waiting: q.waiting };
  }

  function list(text) {
    const q = text.trim();
    const first = [];
    if (booking && mode === "real") first.push({ kind: "booking", queue: booking.queue, zh: "预约签到 " + hhmm(booking.starts_at) + " · " + booking.queue_name,
                                                 en: "Check in the booking " + hhmm(booking.starts_at) + " · " + (booking.queue_name_en || booking.queue_name) });
    const letter = /^[A-Za-z]{1,2}$/.test(q) ? queues.find(x => x.prefix === q.toUpperCase()) : null;
    if (letter) first.push(queueOption(letter));
    if (!q) return render(first.concat(queues.map(queueOption)));
    if (/\d{6,}/.test(q)) {   // a number typed here is never sent to the search (a URL) in case it is personal
      render(first);
      return;
    }
    render(first);
    const seq = ++searchSeq;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      let hits = [];
      try {
        hits = (await hallops.api("GET", "/api/v1/halls/" + encodeURIComponent(HALL) + "/search?limit=8&q=" + encodeURIComponent(q))).hits;
      } catch (e) { hits = []; }
      if (seq !== searchSeq) return;   // a newer search is on its way
      render(first.concat(hits.map(h => ({ kind: "item", queue: h.queue, zh: h.queue_name + " · " + h.item, en: (h.queue_name_en || h.queue_name) + " · " + (h.item_en || h.item), waiting: h.waiting }))));
    }, 120);
  }

  function render(opts) {
    options = opts; hl = 0;
    $("hd-hits").innerHTML = opts.length ? opts.map((o, i) =>
      '<li role="option" id="hd-hit-' + i + '" data-i="' + i + '" class="hd-hit ' + o.kind + '" aria-selected="false">' +
      '<b class="hd-letter">' + esc(o.queue) + '</b> ' + bi(esc(o.zh), esc(o.en)) +
      (o.waiting !== undefined ? ' <span class="hd-waiting">' + bi("等候 " + o.waiting + " 人", o.waiting + " waiting") + '</span>' : "") + '</li>').join("")
      : '<li class="hd-none" role="option" aria-disabled="true" aria-selected="false">' + bi("没有找到，换个说法或输入业务字母", "Nothing found: other words, or a queue letter") + '</li>';
    mark();
  }

  function mark() {
    $("hd-hits").querySelectorAll("[data-i]").forEach(li => {
      const on = Number(li.dataset.i) === hl;
      li.setAttribute("aria-selected", on ? "true" : "false");
      if (on) li.scrollIntoView({ block: "nearest" });
    });
    if (options.length) $("hd-item").setAttribute("aria-activedescendant", "hd-hit-" + hl);
    else $("hd-item").removeAttribute("aria-activedescendant");
  }

  // -- taking the ticket ----------------------------------------------------------------------------------
  async function take() {
    if (busy) return;
    const opt = options[hl];
    if (!opt) { show($("hd-take-error"), bi("请选择要办理的业务", "Choose what the citizen comes for")); $("hd-item").focus(); return; }
    const mobile = cleanMobile($("hd-mobile").value);
    if (mobile && !/^1[3-9]\d{9}$/.test(mobile)) {
      show($("hd-take-error"), bi("请输入 11 位手机号码，或留空", "An 11-digit mainland mobile number, or leave it empty"));
      $("hd-mobile").focus();
      return;
    }
    show($("hd-take-error"), "");
    $("hd-take-error").classList.remove("limit");
    busy = true; root.classList.add("busy");
    try {
      let t;
      if (mode === "real") {
        const body = { session: session, hall: HALL };
        if (opt.kind !== "booking") body.queue = opt.queue;
        t = await hallops.api("POST", "/api/v1/kiosk/real-name-tickets", body);
      } else {
        const key = "desk-" + Date.now() + "-" + Math.random().toString(36).slice(2);
        t = await hallops.api("POST", "/api/v1/tickets", { queue: opt.queue, channel: "help_desk", hall: HALL }, { "Idempotency-Key": key });
      }
      $("hd-mobile").value = "";
      if (mode === "real" && !today.some(x => x.number === t.number)) {   // the count beside the person stays true
        today = today.concat([{ number: t.number, queue_name: t.queue_name, queue_name_en: t.queue_name_en }]);
        renderPerson();
      }
      await showTicket(t, mobile);
    } catch (e) {
      if (e.code === "identity_expired") { reset(); idError(told(e), "id"); return; }
      if (e.code === "person_daily_limit") {
        $("hd-take-error").classList.add("limit");
        show($("hd-take-error"), '<b>' + bi("不能再取号：已达每人每日上限", "Refused: the daily limit per person is reached") + '</b><br>' + said(e.message));
        $("hd-item").focus();
        return;
      }
      show($("hd-take-error"), told(e));
      $("hd-item").focus();
    } finally { busy = false; root.classList.remove("busy"); }
  }

  function waitText(est) {
    if (!est) return ["—", "—"];
    if (est.high_minutes <= 2) return ["即将叫号", "any moment now"];
    if (est.low_minutes <= 0) return [est.high_minutes + " 分钟以内", "under " + est.high_minutes + " min"];
    return ["约 " + est.low_minutes + "–" + est.high_minutes + " 分钟", "about " + est.low_minutes + "–" + est.high_minutes + " min"];
  }

  async function showTicket(t, mobile) {
    let st = null;
    try { st = await hallops.api("GET", "/api/v1/ticket-status/" + encodeURIComponent(t.token)); } catch (e) { st = null; }
    const ahead = st ? st.people_ahead : t.people_ahead;
    const [wz, we] = waitText(st && st.estimated_wait);
    const who = t.person ? t.person.name + " · " + t.person.id : "";
    $("hd-t-number").textContent = t.number;
    $("hd-t-queue").innerHTML = bi(esc(t.queue_name), esc(t.queue_name_en || t.queue_name));
    const row = (zh, en, dd) => '<div><dt>' + bi(zh, en) + '</dt><dd>' + dd + '</dd></div>';
    $("hd-t-meta").innerHTML =
      row("前面", "Ahead", bi(ahead + " 人", ahead + " people")) +
      row("预计等候", "Wait", bi(esc(wz), esc(we))) +
      (who ? row("实名", "Real name", '<span class="hd-mono">' + esc(who) + '</span>') : row("实名", "Real name", bi("普通号（未核验）", "Ordinary ticket (not identified)"))) +
      (t.appointment ? row("预约", "Booking", esc(hhmm(t.appointment.starts_at)) + ' · ' + esc(t.appointment.code)) : "") +
      row("取号时间", "Issued", esc(new Date(t.issued_at).toLocaleString("zh-CN", { hour12: false, timeZone: TZ })));
    const qr = "/t/" + encodeURIComponent(t.token) + "/qr.svg";
    $("hd-t-qr").src = qr;
    $("hd-slip-number").textContent = t.number;
    $("hd-slip-queue").textContent = t.queue_name;
    $("hd-slip-person").textContent = who;
    $("hd-slip-ahead").textContent = "前面还有 " + ahead + " 人 · 预计 " + wz;
    $("hd-slip-time").textContent = new Date(t.issued_at).toLocaleString("zh-CN", { hour12: false, timeZone: TZ });
    $("hd-slip-qr").src = qr;
    $("hd-t-sms").innerHTML = "";
    $("hd-t-sms").className = "hd-t-sms";
    $("hd-take").hidden = true;
    $("hd-ticket").hidden = false;
    step("ticket");
    $("hd-next").focus();
    $("hd-say").textContent = hallops.lang() === "en" ? "Ticket " + t.number + ", " + ahead + " people ahead." : "取号成功，" + t.number + "，前面 " + ahead + " 人。";
    if (mobile) await subscribe(t, mobile);
  }

  async function subscribe(t, mobile) {
    const out = $("hd-t-sms");
    try {
      const s = await hallops.api("POST", "/api/v1/mobile/tickets/" + encodeURIComponent(t.token) + "/sms", { mobile: mobile, relation: "self", ahead: AHEAD });
      out.innerHTML = bi("短信提醒：" + esc(s.mobile) + "，前面还有 " + s.ahead + " 人时和叫号时发送", "Texts to " + esc(s.mobile) + " when " + s.ahead + " are ahead and at the call");
    } catch (e) {
      out.classList.add("bad");
      out.innerHTML = bi("短信提醒未登记：", "No text reminder: ") + said(e.message);
    }
  }

  async function print() {
    const img = $("hd-slip-qr");
    if (!img.complete) await new Promise(r => { img.onload = img.onerror = r; setTimeout(r, 1500); });
    try { window.print(); } catch (e) { /* no printer: the ticket is on screen */ }
  }

  // -- the next citizen -----------------------------------------------------------------------------------
  function reset() {
    session = null; person = null; booking = null; today = []; mode = null; options = [];
    clearTyped();
    idError("", null);
    $("hd-item").value = ""; $("hd-mobile").value = "";
    $("hd-hits").innerHTML = "";
    $("hd-person").hidden = true;
    $("hd-take-body").hidden = true;
    $("hd-take-wait").hidden = false;
    $("hd-down").hidden = true;
    show($("hd-take-error"), "");
    $("hd-take").hidden = false;
    $("hd-ticket").hidden = true;
    // The last citizen leaves the screen (and the slip, and the screen reader's line) with them.
    ["hd-p-name", "hd-p-id", "hd-p-count", "hd-p-tickets", "hd-booking", "hd-t-number", "hd-t-queue", "hd-t-meta", "hd-t-sms",
     "hd-slip-number", "hd-slip-queue", "hd-slip-person", "hd-slip-ahead", "hd-slip-time", "hd-say"].forEach(id => { $(id).textContent = ""; });
    $("hd-t-qr").removeAttribute("src"); $("hd-slip-qr").removeAttribute("src");
    step("identify");
    $("hd-idnum").focus();
  }

  // -- events ---------------------------------------------------------------------------------------------
  $("hd-id-form").addEventListener("submit", (ev) => { ev.preventDefault(); identify(); });
  $("hd-take-form").addEventListener("submit", (ev) => { ev.preventDefault(); take(); });
  $("hd-idnum").addEventListener("input", () => {
    const n = cleanId($("hd-idnum").value).length;
    $("hd-id-count").textContent = n + "/18";
    $("hd-id-count").classList.toggle("done", n === 18);
  });
  $("hd-item").addEventListener("input", (ev) => list(ev.target.value));
  $("hd-item").addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!options.length) return;
      hl = (hl + (ev.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      mark();
    }
  });
  $("hd-hits").addEventListener("click", (ev) => {
    const li = ev.target.closest("[data-i]");
    if (!li) return;
    hl = Number(li.dataset.i); mark(); take();
  });
  root.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.hd === "reset") reset();
    else if (b.dataset.hd === "print") print();
    else if (b.id === "hd-ordinary") {
      session = null; person = null; booking = null; today = []; mode = "ordinary";
      clearTyped(); idError("", null);
      openTake();
    }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "Escape") { ev.preventDefault(); reset(); return; }
    if (root.dataset.step === "ticket" && (ev.key === "p" || ev.key === "P")) { ev.preventDefault(); print(); }
  });

  const ready = load();
  $("hd-idnum").focus();
})();
