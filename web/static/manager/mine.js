// The clerk's findings: answer a finding about their window, begin the fix, report it with a photo.
"use strict";
(function () {
  const H = window.hallops;
  const M = window.hallopsManager;
  const { esc, bi } = M;
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const list = document.getElementById("mine-list");

  function item(f) {
    const can = f.status !== "verified" && f.status !== "rectified";
    return `<li class="mine-item ${f.overdue ? "overdue" : ""}" data-finding="${f.id}">` +
      `<h2>#${f.id} ${bi(f.category_name, f.category_name_en)} ${M.sevTag(f.severity)} ${M.statusTag(f.status)} ${M.escTag(f.escalation)}` +
      `${f.overdue ? ` <b class="bad">${bi("已超期", "Overdue")}</b>` : ""}</h2>` +
      `<p>${esc(f.description)}</p><p class="muted">${M.subject(f)} · ${bi("期限", "due")} ${M.due(f)} · ${bi("登记人", "by")} ${esc(f.created_by)}</p>` +
      (f.rectification ? `<p>${bi("整改情况", "Fix")}：${esc(f.rectification)}</p>` : "") +
      `<div class="detail"></div>` +
      (can ? `<label><span>${bi("答复 / 整改说明", "Answer / what was done")}</span><textarea rows="2" maxlength="2000" name="note"></textarea></label>` +
        `<label class="photo-pick"><span>${bi("整改照片", "Photo of the fix")}</span><input type="file" name="photo" accept="image/jpeg,image/png,image/webp" capture="environment"></label>` +
        `<p class="error" hidden></p><div class="actions">` +
        `<button type="button" data-act="comment">${bi("答复", "Answer")}</button>` +
        (["open", "reopened"].includes(f.status) ? `<button type="button" data-act="start">${bi("开始整改", "Begin")}</button>` : "") +
        `<button type="button" class="primary" data-act="rectify">${bi("提交整改", "Report fix")}</button></div>` :
        `<p class="muted">${f.status === "rectified" ? bi("已提交，等待管理人员验收", "Waiting for a manager to verify") : ""}</p>`) +
      `</li>`;
  }

  async function load() {
    const data = await H.api("GET", "/api/v1/findings/mine");
    M.syncClock(null);
    list.innerHTML = data.findings.map(item).join("") || `<li class="muted">${bi("没有待处理的问题", "Nothing to answer")}</li>`;
    document.getElementById("mine-counts").innerHTML = `${bi("未关闭", "open")} <b>${data.counts.open}</b> · ` +
      `${bi("超期", "overdue")} <b>${data.counts.overdue}</b>`;
    for (const li of list.querySelectorAll("[data-finding]")) {
      H.api("GET", `/api/v1/findings/${li.dataset.finding}`).then((f) => {
        li.querySelector(".detail").innerHTML = M.photos(f.photos) + M.history(f.log);
      }).catch(() => {});
    }
  }

  list.addEventListener("click", async (ev) => {
    const btn = ev.target.closest("[data-act]");
    if (!btn) return;
    const li = btn.closest("[data-finding]");
    const id = li.dataset.finding;
    const note = li.querySelector("textarea[name=note]").value.trim();
    const file = li.querySelector("input[name=photo]").files[0];
    const err = li.querySelector(".error");
    btn.disabled = true;
    try {
      if (file) await M.uploadPhoto(id, file, "rectified");
      const act = btn.dataset.act;
      if (act === "comment") {
        if (!note && !file) throw new Error("请填写答复 (write an answer)");
        if (note) await H.api("POST", `/api/v1/findings/${id}/comment`, { note });
      } else {
        await H.api("POST", `/api/v1/findings/${id}/${act}`, { note });
      }
      M.toast("已提交 (sent)");
      await load();
    } catch (e) {
      err.textContent = e.message || String(e);
      err.hidden = false;
      btn.disabled = false;
    }
  });

  load().catch((e) => M.toast(e.message || String(e), true));
})();
