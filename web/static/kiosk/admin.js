// Managers: a day's slots and bookings (with check-ins and no-shows), adding slots, importing bookings, the
// check-in and phone-ticket settings, and each kiosk's printer.
"use strict";
(function () {
  const root = document.getElementById("appt");
  const HALL = root.dataset.hall;
  const $ = (id) => document.getElementById(id);
  const { esc } = hallops;
  const OUT = { booked: "待签到", missed: "未到", waiting: "已签到", served: "已办结", no_show: "过号", cancelled: "已取消" };
  const base = "/api/v1/halls/" + encodeURIComponent(HALL);
  function msg(t, ok) { const m = $("a-msg"); m.textContent = t; m.hidden = !t; m.classList.toggle("ok", !!ok); setTimeout(() => { m.hidden = true; }, 6000); }
  const hhmm = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });

  async function load() {
    const d = await hallops.api("GET", base + "/appointments?day=" + $("a-day").value);
    const c = d.counts;
    $("a-counts").innerHTML = Object.keys(OUT).map(k => "<span>" + OUT[k] + " " + k + ": <b>" + c[k] + "</b></span>").join("");
    $("a-slots").innerHTML = d.slots.map(s => "<tr><td>" + hhmm(s.starts_at) + "–" + hhmm(s.ends_at) + "</td><td>" + esc(s.queue) + " " + esc(s.queue_name) +
      "</td><td>" + s.bookings.filter(b => b.status !== "cancelled").length + "/" + s.capacity + "</td><td>" +
      s.bookings.map(b => '<span class="a-b ' + b.outcome + '">' + esc(b.code) + " " + esc(b.name) + " · " + OUT[b.outcome] + (b.ticket ? " " + esc(b.ticket) : "") + "</span>").join("") + "</td></tr>").join("") ||
      '<tr><td colspan="4">当天没有预约时段 (no slots this day)</td></tr>';
    const s = await hallops.api("GET", base + "/citizen-settings");
    const f = $("a-settings-form");
    for (const k of Object.keys(s)) if (f.elements[k]) { if (f.elements[k].type === "checkbox") f.elements[k].checked = !!s[k]; else f.elements[k].value = s[k]; }
    const sms = await hallops.api("GET", base + "/sms");
    const KIND = { near: "快到了 near", called: "叫号 called", booked: "预约成功 booked", reminder: "预约提醒 reminder", cancelled: "取消 cancelled" };
    const STATE = { queued: "排队中 queued", sent: "已发送 sent", failed: "失败 failed", dropped: "已作废 dropped" };
    $("a-sms").innerHTML = sms.messages.map(m => '<tr class="a-sms-' + m.status + '"><td>' + esc(new Date(m.created_at).toLocaleString("zh-CN", { hour12: false })) + "</td><td>" + esc(m.phone_masked) +
      "</td><td>" + esc(KIND[m.kind] || m.kind) + "</td><td>" + esc(m.ticket || "—") + "</td><td>" + esc(STATE[m.status] || m.status) + "</td><td>" + m.attempts + "</td><td>" + esc(m.last_error || "") + "</td></tr>").join("") ||
      '<tr><td colspan="7">没有短信 (no messages)</td></tr>';
    const p = await hallops.api("GET", base + "/kiosk-printers");
    $("a-printers").innerHTML = p.kiosks.map(k => '<tr data-token="' + k.token_id + '"><td>' + esc(k.label || "#" + k.token_id) + '</td><td><select name="mode" aria-label="打印方式 Printer mode">' +
      ["browser", "escpos", "none"].map(m => '<option' + (m === k.mode ? " selected" : "") + ">" + m + "</option>").join("") +
      '</select></td><td><input name="host" value="' + esc(k.host) + '" placeholder="192.168.1.50" aria-label="打印机地址 Printer address"> : <input name="port" type="number" value="' + k.port + '" style="width:6em" aria-label="端口 Port"></td><td>' +
      (k.last_fault_at ? esc(new Date(k.last_fault_at).toLocaleString("zh-CN")) + " " + esc(k.last_error || "") : "—") + '</td><td><button type="button" data-save-printer>保存 Save</button></td></tr>').join("");
  }
  $("a-day").addEventListener("change", load);
  $("a-slot-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); const f = ev.target;
    try {
      const r = await hallops.api("POST", base + "/appointment-slots", { queue: f.queue.value.trim().toUpperCase(), day: $("a-day").value,
        start: f.start.value, end: f.end.value, every_minutes: Number(f.every.value), capacity: Number(f.capacity.value) });
      msg("已添加 " + r.created + " 个时段 (slots added)", true); load();
    } catch (e) { msg(e.message); }
  });
  $("a-file").addEventListener("change", async (ev) => { const file = ev.target.files[0]; if (file) $("a-import-form").csv.value = await file.text(); });
  $("a-import-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { const r = await hallops.api("POST", base + "/appointments/import", { csv: ev.target.csv.value }); msg("已导入 " + r.created.length + " 条，跳过 " + r.skipped + " 条", true); load(); }
    catch (e) { msg(e.message + (e.detail && e.detail.errors ? " — " + e.detail.errors.slice(0, 3).map(x => "第" + x.line + "行 " + x.message).join("；") : "")); }
  });
  $("a-settings-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); const f = ev.target, body = {};
    for (const el of f.elements) if (el.name) body[el.name] = el.type === "checkbox" ? el.checked : el.type === "number" ? Number(el.value) : el.value.trim();
    try { await hallops.api("PATCH", base + "/citizen-settings", body); msg("已保存 (saved)", true); } catch (e) { msg(e.message); }
  });
  $("a-printers").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-save-printer]"); if (!b) return;
    const tr = b.closest("tr");
    try { await hallops.api("PUT", "/api/v1/kiosk-printers/" + tr.dataset.token, { mode: tr.querySelector("[name=mode]").value,
      host: tr.querySelector("[name=host]").value.trim(), port: Number(tr.querySelector("[name=port]").value) }); msg("已保存 (saved)", true); load(); }
    catch (e) { msg(e.message); }
  });
  load().catch(e => msg(e.message));
})();
