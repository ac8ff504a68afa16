// Changing one's own password (/account/password) and setting one with a one-time code (/reset#code=…).
"use strict";
(function () {
  const { api } = window.hallops;
  function show(form, sel, text) {
    form.querySelectorAll(".error, .ok").forEach(el => { el.hidden = true; });
    const el = form.querySelector(sel);
    el.innerHTML = window.hallops.said(text); el.hidden = false;
  }
  const change = document.getElementById("password-form");
  if (change) {
    change.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (change.password.value !== change.again.value) return show(change, ".error", "两次输入的新密码不一致 (the new passwords differ)");
      try {
        await api("POST", "/api/v1/session/password", { current: change.current.value, password: change.password.value });
        show(change, ".ok", "密码已修改 (password changed)");
        setTimeout(() => { location.href = "/"; }, 800);
      } catch (e) { show(change, ".error", e.message); }
    });
  }
  const reset = document.getElementById("reset-form");
  if (reset) {
    const m = /code=([A-Za-z0-9-]+)/.exec(location.hash);
    if (m) {
      reset.code.value = m[1];
      history.replaceState(null, "", location.pathname);   // the code leaves the address bar
      api("POST", "/api/v1/password-reset/check", { code: m[1] }).then(who => {
        document.getElementById("reset-who").innerHTML = '<span class="zh">为 ' + window.hallops.esc(who.display_name) +
          "（" + window.hallops.esc(who.username) + '）设置新密码。</span> <small class="en">Setting a new password for ' +
          window.hallops.esc(who.username) + ".</small>";
      }).catch(e => show(reset, ".error", e.message));
    }
    reset.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (reset.password.value !== reset.again.value) return show(reset, ".error", "两次输入的新密码不一致 (the new passwords differ)");
      try {
        const done = await api("POST", "/api/v1/password-reset", { code: reset.code.value, password: reset.password.value });
        show(reset, ".ok", "密码已设置，请用新密码登录 (password set: sign in with it)");
        setTimeout(() => { location.href = "/login"; }, 1200);
        return done;
      } catch (e) { show(reset, ".error", e.message); }
    });
  }
})();
