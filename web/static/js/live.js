// The live connection to a hall: one websocket that gives a snapshot, then every event in order, once.
//
//   const live = hallops.live.connect({
//     hall: "liangjiang",          // hall code or id (required)
//     token: null,                 // a display/kiosk/rating-pad token for screens without a staff session (sent
//                                  // as ?token=)
//     snapshot: true,              // ask for the hall's state on every (re)connect (false: events only)
//     after: null,                 // first connect: resume after this sequence number instead of now
//     onSnapshot(state) {},        // GET /api/v1/halls/{hall}/state shape, incl. state.seq: replace your model
//     onEvent(ev, info) {},        // ev = {seq, type, at, payload}; info = {replay: bool, ageSeconds: number}
//     onStatus(status, text) {},   // "connecting" | "open" | "lost"; text: "连接中断，正在重连…" when lost
//     onRevoked() {},              // optional: the credential was revoked or signed out (close code 4401, or the
//                                  // page itself refused after failed reconnects); no more retries
//   });
//   live.seq            // last sequence number applied (never goes back within a database)
//   live.lastRetryMs    // the wait chosen before the latest reconnect (null: none yet)
//   live.serverNow()    // a Date on the server's clock (screens' own clocks drift)
//   live.refresh()      // reconnect now and take a fresh snapshot (e.g. after "layout.changed")
//   live.close()        // stop for good
//
// Guarantees: events arrive in sequence order with no gaps and no repeats across reconnects (the client resumes
// with ?after=seq and drops anything it has seen). Events sent as catch-up after a reconnect carry
// info.replay = true: show them, but announce only recent ones (see ageSeconds). The server sends a "tick"
// every 10 s; silence for 25 s means the connection is dead and it is reopened with backoff.
// Backoff with full jitter (retryDelay): the first retry comes anywhere in 0–3 s, the next in 0–6 s, 0–12 s,
// then 0–15 s, so the 3,000 screens a server restart drops come back spread over seconds, not in the same
// instant; a connection that lived LIVED_MS starts the count again (one that opens and drops at once does not).
// A rating pad's stream holds only its window's events (the hello says scope "window"): its sequence numbers
// rise with gaps, still in order and never repeated; its snapshot is the pad's own view.
// Without onStatus, a banner at the top of the page says the connection is lost.
"use strict";
(function () {
  const LOST_TEXT = "连接中断，正在重连…";
  const LOST_TEXT_EN = "Connection lost, reconnecting…";
  const SILENCE_MS = 25000;
  const FIRST_RETRY_MS = 3000;   // the first retry's window: full jitter spreads a restart's reconnects over it
  const BACKOFF_MAX_MS = 15000;
  const LIVED_MS = 10000;        // a connection open this long was a good one: the next retry is a first again

  // The wait before retry number `attempt` (0 for the first): anywhere between 0 and a window that doubles.
  function retryDelay(attempt, random) {
    const r = random === undefined ? Math.random() : random;
    return r * Math.min(BACKOFF_MAX_MS, FIRST_RETRY_MS * Math.pow(2, Math.min(attempt, 10)));
  }

  function defaultBanner() {
    let el = null;
    return function (status) {
      if (!el) {
        el = document.createElement("div");
        el.className = "live-banner";
        el.setAttribute("role", "status");
        el.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:9999;padding:.4em 1em;text-align:center;" +
          "background:#b3261e;color:#fff;font-size:1.4rem;font-weight:600;display:none";
        el.innerHTML = '<span class="zh">' + LOST_TEXT + '</span> <small class="en">' + LOST_TEXT_EN + "</small>";
        document.body.appendChild(el);
      }
      el.style.display = status === "lost" ? "block" : "none";
    };
  }

  function connect(opts) {
    if (!opts || opts.hall === undefined || opts.hall === null) throw new Error("hallops.live.connect: hall is required");
    const onSnapshot = opts.onSnapshot || function () {};
    const onEvent = opts.onEvent || function () {};
    const banner = opts.onStatus ? null : defaultBanner();
    const onStatus = opts.onStatus || function (s) { banner(s); };
    const wantSnapshot = opts.snapshot !== false;

    let seq = (opts.after === undefined || opts.after === null) ? null : Number(opts.after);
    let ws = null;
    let closed = false;
    let attempt = 0;
    let openedAt = 0;
    let lastRetryMs = null;      // the wait chosen before the latest retry (for people debugging a screen)
    let retryTimer = null;
    let watchdog = null;
    let clockOffset = 0;   // server time minus local time, ms
    let status = null;
    let forceSnapshot = false;   // refresh(): a snapshot on the next connect even when snapshot=false
    let refreshing = false;
    let sparse = false;          // scope "window": the server sends only some of the hall's events

    function setStatus(s) {
      if (s === status) return;
      status = s;
      try { onStatus(s, s === "lost" ? LOST_TEXT : ""); } catch (e) { console.error(e); }
    }

    function url() {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const q = new URLSearchParams();
      if (seq !== null) q.set("after", String(seq));
      if (wantSnapshot || forceSnapshot || seq === null) q.set("snapshot", "1");
      forceSnapshot = false;
      if (opts.token) q.set("token", opts.token);
      return proto + "//" + location.host + "/api/v1/halls/" + encodeURIComponent(opts.hall) + "/live?" + q.toString();
    }

    function feed() {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => { if (ws) ws.close(4000, "silent"); }, SILENCE_MS);
    }

    function handle(msg) {
      if (msg.type === "hello" || msg.type === "tick") {
        if (msg.now) clockOffset = Date.parse(msg.now) - Date.now();
        if (msg.type === "hello") sparse = msg.scope === "window";
        return;
      }
      if (msg.type === "snapshot") {
        seq = msg.seq;
        onSnapshot(msg.state);
        return;
      }
      if (typeof msg.seq !== "number") return;      // a message type this client does not know
      if (seq !== null && msg.seq <= seq) return;     // seen already (overlap of catch-up and live)
      if (seq !== null && msg.seq !== seq + 1 && !sparse) {   // a gap: never expected; resume from what we have
        console.warn("hallops.live: gap after", seq, "got", msg.seq);
        if (ws) ws.close(4001, "gap");
        return;
      }
      seq = msg.seq;
      const age = (Date.now() + clockOffset - Date.parse(msg.at)) / 1000;
      try { onEvent(msg, { replay: !!msg.replay, ageSeconds: age }); } catch (e) { console.error(e); }
    }

    function open() {
      if (closed) return;
      if (status === null) setStatus("connecting");
      const sock = new WebSocket(url());
      ws = sock;
      sock.onopen = () => { openedAt = Date.now(); feed(); };
      sock.onmessage = (ev) => {
        if (sock !== ws) return;
        feed();
        setStatus("open");
        let data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        // Messages that waited together come as one frame holding an array.
        if (Array.isArray(data)) data.forEach(handle); else handle(data);
      };
      sock.onclose = (ev) => {
        if (sock !== ws) return;
        ws = null;
        clearTimeout(watchdog);
        if (closed) return;
        if (refreshing) { refreshing = false; open(); return; }
        // Revoked token or signed out (4401): not retried blindly; the page decides (a wall screen reloads and
        // shows the server's out-of-service notice; a staff page keeps its work and says it is signed out).
        if (ev.code === 4401 && opts.onRevoked) { opts.onRevoked(); return; }
        setStatus("lost");
        if (openedAt && Date.now() - openedAt >= LIVED_MS) attempt = 0;
        openedAt = 0;
        const delay = retryDelay(attempt);
        lastRetryMs = delay;
        attempt += 1;
        // A browser cannot read why a websocket handshake failed: after a few failures, ask for the page
        // itself; refused (401/403) or sent to the sign-in means the credential went while we were away.
        if (opts.onRevoked && attempt % 3 === 0) {
          fetch(location.href, { cache: "no-store", credentials: "same-origin" }).then((r) => {
            if (r.status === 401 || r.status === 403 || (r.redirected && r.url.includes("/login"))) opts.onRevoked();
          }).catch(() => { /* the server is unreachable: keep retrying */ });
        }
        retryTimer = setTimeout(open, delay);
      };
      sock.onerror = () => { /* onclose follows */ };
    }

    open();
    return {
      get seq() { return seq; },
      get status() { return status; },
      get lastRetryMs() { return lastRetryMs; },
      serverNow() { return new Date(Date.now() + clockOffset); },
      refresh() {
        forceSnapshot = true;
        if (ws) { refreshing = true; ws.close(4002, "refresh"); } else { clearTimeout(retryTimer); attempt = 0; open(); }
      },
      close() { closed = true; clearTimeout(retryTimer); clearTimeout(watchdog); if (ws) ws.close(1000, "bye"); ws = null; },
    };
  }

  window.hallops = window.hallops || {};
  window.hallops.live = { connect, retryDelay, LOST_TEXT };
})();
