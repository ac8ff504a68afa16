// The reports pages: generate, regenerate, annotate, publish and retry, through the JSON API.
"use strict";
(function () {
  const hall = document.currentScript.dataset.hall;
  const { api } = window.hallops;
  const msg = (el, text) => { const m = el.closest("section, .r-toolbar").querySelector(".r-msg"); if (m) m.textContent = text; };
  const briefing = () => (document.querySelector("[data-briefing]") || {}).dataset?.briefing;

  // Options hold no markup, so they cannot follow the page's zh/en spans: show "中文 English", or English
  // alone when the page is switched to English (the toggle flips a class on <html>).
  function labelOptions() {
    const en = document.documentElement.classList.contains("en");
    document.querySelectorAll("option[data-en]").forEach((o) => {
      o.textContent = en ? o.dataset.en : `${o.dataset.zh} ${o.dataset.en}`;
    });
  }
  labelOptions();
  new MutationObserver(labelOptions).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });

  async function run(el, fn) {
    try { await fn(); } catch (e) { msg(el, e.message || String(e)); return false; }
    return true;
  }

  document.addEventListener("submit", async (ev) => {
    const f = ev.target.closest("form[data-do]");
    if (!f) return;
    ev.preventDefault();
    const v = Object.fromEntries(new FormData(f).entries());
    const act = f.dataset.do;
    if (act === "generate") {
      await run(f, async () => {
        msg(f, "正在生成… (generating)");
        const b = await api("POST", `/api/v1/halls/${hall}/briefings`, { kind: v.kind, date: v.date || null });
        location.href = `/reports/briefings/${b.id}`;
      });
    } else if (act === "annotate") {
      if (await run(f, () => api("POST", `/api/v1/briefings/${briefing()}/annotation`, { text: v.text }))) location.reload();
    } else if (act === "webhook") {
      if (await run(f, () => api("POST", `/api/v1/halls/${hall}/report-webhooks`, v))) location.reload();
    } else if (act === "settings") {
      if (await run(f, () => api("PATCH", `/api/v1/halls/${hall}/report-settings`, v))) location.reload();
    }
  });

  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-do]");
    if (!b) return;
    const act = b.dataset.do;
    b.disabled = true;
    if (act === "regenerate") {
      if (await run(b, () => api("POST", `/api/v1/briefings/${briefing()}/regenerate`))) location.reload();
    } else if (act === "publish") {
      if (await run(b, async () => {
        const r = await api("POST", `/api/v1/briefings/${briefing()}/publish`);
        msg(b, `已提交 ${r.deliveries.length} 个工作群推送 (queued)`);
        setTimeout(() => location.reload(), 1500);
      })) return;
    } else if (act === "retry") {
      if (await run(b, () => api("POST", `/api/v1/halls/${hall}/report-deliveries/${b.dataset.id}/retry`))) {
        setTimeout(() => location.reload(), 1000);
        return;
      }
    }
    b.disabled = false;
  });
})();
