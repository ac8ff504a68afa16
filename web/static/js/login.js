// The sign-in form (moved out of login.html: the Content-Security-Policy allows no inline script).
document.getElementById("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target, err = form.querySelector(".error");
  err.hidden = true;
  try {
    await hallops.api("POST", "/api/v1/session", {
      username: form.username.value.trim(), password: form.password.value });
    location.href = form.dataset.next || "/";
  } catch (e) {
    err.textContent = e.message; err.hidden = false;
  }
});
