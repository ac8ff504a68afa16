// Shared by the manager's tablet and the clerks' findings page: escaping, times on the server's clock,
// the labels of findings, the alert tone, and photo uploads (re-encoded on the device: smaller, no EXIF/GPS).
"use strict";
(function () {
  const H = window.hallops;
  let offset = 0; // server clock minus local clock, ms (the hall's clock, not the tablet's, decides "overdue")

  const esc = (v) => String(v === null || v === undefined ? "" : v)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  const bi = (zh, en) => `<span class="zh">${esc(zh)}</span> <small class="en">${esc(en)}</small>`;
  // A name from the hall's layout: both when it has an English name, else the one it has (never twice).
  const nm = (zh, en) => (en ? bi(zh, en) : esc(zh));
  // One phrase per language where a number sits inside it ("5 号窗口" / "Window 5"): never the number twice.
  const either = (zh, en) => `<span class="zh">${esc(zh)}</span><span class="en-only">${esc(en)}</span>`;

  // Options hold no markup: they carry data-zh / data-en and follow the language toggle (a class on <html>):
  // English alone in English; in Chinese "中文 English", or Chinese alone for names (data-names).
  function labelOptions(root) {
    const en = document.documentElement.classList.contains("en");
    (root || document).querySelectorAll("option[data-en]").forEach((o) => {
      const both = !("names" in o.dataset) && o.dataset.en !== o.dataset.zh;
      o.textContent = en ? o.dataset.en : (both ? `${o.dataset.zh} ${o.dataset.en}` : o.dataset.zh);
    });
  }
  const option = (value, zh, en, names) =>
    `<option value="${esc(value)}" data-zh="${esc(zh)}" data-en="${esc(en || zh)}"${names ? " data-names" : ""}>${esc(zh)}</option>`;
  new MutationObserver(() => labelOptions()).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });

  function syncClock(serverIso) { if (serverIso) offset = Date.parse(serverIso) - Date.now(); }
  const now = () => Date.now() + offset;

  const TZ = "Asia/Shanghai";
  function hm(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TZ });
  }
  function dayHm(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleDateString("zh-CN", { month: "2-digit", day: "2-digit", timeZone: TZ }) + " " + hm(iso);
  }
  // A finding's due time: a default one is the end of its due day (the next day's 00:00), shown as that
  // day's 24:00; a provisional one (counted into a year whose holidays are unpublished) says so.
  function due(f) {
    if (!f.due_at) return "";
    const text = hm(f.due_at) === "00:00" ? dayHm(new Date(Date.parse(f.due_at) - 60000).toISOString()).replace(/23:59$/, "24:00") : dayHm(f.due_at);
    return esc(text) + (f.due_provisional ? ` <small class="prov" title="期限跨入未公布节假日的年份 (counted into a year whose holidays are not yet published)">${bi("待定", "provisional")}</small>` : "");
  }
  function since(iso) { return iso ? Math.max(0, (now() - Date.parse(iso)) / 1000) : 0; }
  function dur(seconds) {
    const s = Math.round(seconds);
    if (s < 60) return `${s}″`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}′${String(s % 60).padStart(2, "0")}″`;
    return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}′`;
  }
  function minutes(m) { return m >= 60 ? `${Math.floor(m / 60)}h${String(Math.round(m % 60)).padStart(2, "0")}′` : `${Math.round(m)}′`; }

  const STATUS = {
    open: ["待整改", "Open"], rectifying: ["整改中", "Rectifying"], rectified: ["待验收", "To verify"],
    verified: ["已验收", "Verified"], reopened: ["重新整改", "Reopened"],
  };
  const SEVERITY = { minor: ["一般", "Minor"], major: ["较重", "Major"], serious: ["严重", "Serious"] };
  const ESCALATION = { reminder: ["提醒告知", "Reminder notice"], interview: ["约谈", "Interview"] };
  const ACTIONS = {
    opened: ["登记", "Recorded"], start: ["开始整改", "Began"], rectify: ["提交整改", "Rectified"],
    verify: ["验收通过", "Verified"], reopen: ["退回重改", "Reopened"], comment: ["答复", "Answer"],
    photo: ["上传照片", "Photo"], update: ["修改", "Changed"],
  };
  const statusTag = (s) => `<span class="st st-${esc(s)}">${bi(...(STATUS[s] || [s, s]))}</span>`;
  const sevTag = (s) => `<span class="sev sev-${esc(s)}">${bi(...(SEVERITY[s] || [s, s]))}</span>`;
  const escTag = (e) => (ESCALATION[e] ? `<span class="esc-flag">⚑ ${bi(...ESCALATION[e])}</span>` : "");
  // What a finding is about, as HTML (the window's number reads differently in each language).
  function subject(f) {
    const parts = [];
    if (f.window) parts.push(either(`${f.window.number} 号窗口`, `Window ${f.window.number}`));
    if (f.clerk) parts.push(esc(f.clerk.display_name));
    if (f.area && !f.window) parts.push(esc(f.area));
    return parts.join(" · ");
  }

  // A short two-note tone made on the device (no sound file, no network). Browsers allow audio only after
  // a tap, so the page unlocks it on the first touch.
  let audio = null;
  let tones = 0;
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
    return audio;
  }
  function tone() {
    tones += 1;
    const ctx = unlockAudio();
    if (!ctx) return;
    const t0 = ctx.currentTime + 0.01;
    [[880, 0], [660, 0.18], [880, 0.36]].forEach(([f, at]) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.type = "sine"; o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t0 + at);
      g.gain.exponentialRampToValueAtTime(0.35, t0 + at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.16);
      o.connect(g).connect(ctx.destination);
      o.start(t0 + at); o.stop(t0 + at + 0.17);
    });
  }

  // Re-encode a camera photo as a JPEG of at most 1600 px: a tablet's 12 MP photo becomes ~300 KB, and
  // the EXIF block (with its GPS position) is dropped. Falls back to the file as it is.
  async function preparePhoto(file) {
    try {
      const bmp = await createImageBitmap(file);
      const scale = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bmp.width * scale));
      canvas.height = Math.max(1, Math.round(bmp.height * scale));
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.85));
      return blob || file;
    } catch (e) {
      return file;
    }
  }
  async function uploadPhoto(findingId, file, stage) {
    const blob = await preparePhoto(file);
    const resp = await fetch(`/api/v1/findings/${findingId}/photos?stage=${encodeURIComponent(stage)}`, {
      method: "POST", credentials: "same-origin", body: blob,
      headers: { "X-CSRF-Token": H.csrf(), "Content-Type": blob.type || "application/octet-stream" },
    });
    const data = await resp.json().catch(() => null);
    if (!resp.ok) throw new H.ApiError(resp.status, (data && data.error) || "http_" + resp.status, (data && data.message) || resp.statusText);
    return data;
  }

  function photos(list) {
    if (!list || !list.length) return "";
    return `<div class="photos">${list.map((p) => `<a href="${esc(p.url)}" target="_blank" rel="noopener" class="photo ph-${esc(p.stage)}"><img src="${esc(p.url)}" alt="${p.stage === "found" ? "现场照片" : "整改照片"}" loading="lazy"><small>${p.stage === "found" ? "现场 Found" : "整改 Fixed"}</small></a>`).join("")}</div>`;
  }
  function history(log) {
    return `<ol class="log">${(log || []).map((e) => `<li><time>${dayHm(e.at)}</time> <b>${esc(e.actor_name)}</b> ${bi(...(ACTIONS[e.action] || [e.action, e.action]))}${e.action === "photo" ? "" : (e.note ? `：${esc(e.note)}` : "")}</li>`).join("")}</ol>`;
  }

  // An API call whose refusal is shown as a toast, then thrown on (the caller stops where it is).
  async function call(method, url, body) {
    try {
      return await window.hallops.api(method, url, body);
    } catch (e) {
      toast(e.message || String(e), true);
      throw e;
    }
  }

  function toast(msg, bad) {
    let el = document.getElementById("toast");
    if (!el) { el = document.createElement("div"); el.id = "toast"; el.className = "toast"; document.body.appendChild(el); }
    el.textContent = msg;
    el.classList.toggle("bad", !!bad);
    el.hidden = false;
    clearTimeout(el._t);
    el._t = setTimeout(() => { el.hidden = true; }, 3500);
  }

  window.hallopsManager = {
    esc, bi, nm, either, option, labelOptions, syncClock, now, hm, dayHm, due, since, dur, minutes, STATUS, SEVERITY, statusTag, sevTag, escTag, subject,
    tone, unlockAudio, get tones() { return tones; }, uploadPhoto, photos, history, toast, call,
  };
})();
