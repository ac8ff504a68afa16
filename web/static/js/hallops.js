// Shared helpers of the staff and kiosk pages: JSON calls with the CSRF token, sign-out, language.
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  class ApiError extends Error {
    constructor(status, code, message, detail) {
      super(message); this.status = status; this.code = code; this.detail = detail;
    }
  }

  async function api(method, url, body, headers) {
    const opts = { method, credentials: "same-origin", headers: Object.assign({}, headers || {}) };
    if (method !== "GET" && method !== "HEAD") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(url, opts);
    } catch (e) {
      throw new ApiError(0, "network_error", "网络连接失败，请重试 (network error)");
    }
    if (resp.status === 204) return null;
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!resp.ok) {
      throw new ApiError(resp.status, (data && data.error) || "http_" + resp.status,
                         (data && data.message) || resp.statusText, data && data.detail);
    }
    return data;
  }

  // Text into HTML: every page builds rows from data with this one escape.
  const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g,
    c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  // Server messages read "中文 (English)": shown as the page's two languages, so English mode reads English.
  function said(text) {
    const m = /^([\s\S]*?)\s*[(（]([^()（）]*)[)）]\s*$/.exec(String(text || ""));
    return m && /[A-Za-z]/.test(m[2]) ? '<span class="zh">' + esc(m[1]) + '</span> <small class="en">' + esc(m[2]) + '</small>' : esc(text);
  }

  function setLang(lang) {
    document.documentElement.classList.toggle("en", lang === "en");
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    try { localStorage.setItem("hallops.lang", lang); } catch (e) { /* private mode */ }
    document.querySelectorAll('[data-action="toggle-lang"]').forEach(b => { b.textContent = lang === "en" ? "中文" : "EN"; });
  }

  function lang() {
    return document.documentElement.classList.contains("en") ? "en" : "zh";
  }

  document.addEventListener("click", async (ev) => {
    const t = ev.target.closest("[data-action]");
    if (!t) return;
    if (t.dataset.action === "toggle-lang") setLang(lang() === "en" ? "zh" : "en");
    if (t.dataset.action === "logout") {
      try { await api("DELETE", "/api/v1/session"); } finally { location.href = "/login"; }
    }
  });

  let saved = null;
  try { saved = localStorage.getItem("hallops.lang"); } catch (e) { /* private mode */ }
  if (saved) setLang(saved);

  window.hallops = { api, ApiError, setLang, lang, csrf, esc, said };
})();
