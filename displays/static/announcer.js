// Spoken calls, one at a time: the server's offline audio (chime + sentence), the browser's speech as fallback.
//   const a = new hallops.Announcer({hall, token, lang: "zh" | "en" | "zh,en", repeat: 1..5, volume: 0..100,
//                                    mode: "on" | "browser" | "off"});
//   a.onBlocked = blocked => …;   // the browser refuses sound until someone touches the screen (autoplay policy)
//   a.probe();                    // ask the browser now rather than at the first call
//   a.announce({ticket: "A012", window: 5, kind: "call" | "recall" | "call_back"});
//
// A burst of calls is said one after the other without pauses (each ≤ 4 s, the next one's audio fetched while
// the current one plays). A call superseded before its turn is dropped: the same window called again (the
// newer call replaces it in the queue), or the ticket no longer "called" at that window in the screen's folded
// hall state (started, ended, transferred) — `isCurrent(item)`, by default read from the board's state, which
// every screen of a hall folds from the same events, so every screen drops the same calls.
//
// Browsers play sound only after a user gesture unless started with --autoplay-policy=no-user-gesture-required
// (see displays/README.md). When refused, the announcement stays queued, `blocked` turns true and the first
// tap or key press anywhere on the page lets the queue play on.
"use strict";
(function () {
  const ZH_DIGITS = "零一二三四五六七八九";
  const EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  const MAX_QUEUE = 20;            // a backlog longer than this is not worth hearing
  const MAX_AGE_MS = 2 * 60 * 1000; // nor a call that waited this long for someone to enable sound
  const PLAY_TIMEOUT_MS = 30000;
  // Events that grant the page "user activation" (pointerdown and touchstart do not, for a finger).
  const GESTURES = ["click", "touchend", "keydown"];

  function spellZh(t) { return t.split("").map(c => /\d/.test(c) ? ZH_DIGITS[+c] : c).join(" "); }
  function spellEn(t) { return t.split("").map(c => /\d/.test(c) ? EN_DIGITS[+c] : c).join(", "); }

  function sentence(item, lang) {
    if (lang === "en") {
      const s = "Number " + spellEn(item.ticket) + ", please go to window " + item.window + ".";
      return item.kind === "recall" ? "Repeat call. " + s : s;
    }
    // As hallops/voice/text.py says it: short enough to be said within 4 s, chime included.
    if (item.kind === "recall") return "重呼 " + spellZh(item.ticket) + " 号到 " + item.window + " 号窗口";
    return "请 " + spellZh(item.ticket) + " 号到 " + item.window + " 号窗口";
  }

  function notAllowed(message) {
    const e = new Error(message);
    e.name = "NotAllowedError";
    return e;
  }

  class Announcer {
    constructor(opts) {
      this.opts = Object.assign({ lang: "zh", repeat: 1, volume: 100, mode: "on" }, opts);
      this.queue = [];
      this.busy = false;
      this.blocked = false;
      this.onBlocked = null;   // called with true / false as the browser refuses or allows sound
      this.played = [];        // what was announced (for tests and the screen's log)
      this.enable = this.enable.bind(this);
      this.dropped = [];       // superseded before their turn (for tests)
      this.isCurrent = this.opts.isCurrent || Announcer.boardSaysCurrent;
    }

    // Whether the board's hall state still shows this ticket called at this window (true when unknown).
    static boardSaysCurrent(item) {
      const board = window.hallopsBoard, state = board && board.state;
      if (!state || !Array.isArray(state.windows)) return true;
      const w = state.windows.find(x => String(x.number) === String(item.window));
      if (!w) return true;
      return !!(w.current && w.current.number === item.ticket && w.current.status === "called");
    }

    current(item) {
      try { return this.isCurrent(item); } catch (e) { return true; }
    }

    prefetch() {
      // Warm the server's cache (and the browser's) for the next call while this one plays.
      const next = this.queue[0];
      if (!next || this.opts.mode !== "on" || next.prefetched) return;
      next.prefetched = true;
      try { fetch(this.url(next)).catch(() => {}); } catch (e) { /* offline: played or spoken later */ }
    }

    url(item) {
      const q = new URLSearchParams({ ticket: item.ticket, window: String(item.window), kind: item.kind,
                                      lang: this.opts.lang, repeat: String(this.opts.repeat) });
      if (this.opts.token) q.set("token", this.opts.token);
      return "/api/v1/halls/" + encodeURIComponent(this.opts.hall) + "/announcement?" + q.toString();
    }

    announce(item) {
      if (this.opts.mode === "off") return;
      // The same window called again: the newer call replaces the one still waiting its turn.
      const stale = this.queue.filter(q => String(q.window) === String(item.window));
      if (stale.length) { this.dropped.push(...stale); this.queue = this.queue.filter(q => !stale.includes(q)); }
      if (this.queue.length >= MAX_QUEUE) this.queue.shift();
      // A call-back is spoken as a call: the citizen hears the same sentence.
      this.queue.push({ ticket: item.ticket, window: item.window, kind: item.kind === "recall" ? "recall" : "call",
                        queuedAt: Date.now() });
      if (this.blocked) this.setBlocked(true);  // the gate shows how many wait
      else if (!this.busy) this.next();
    }

    // Chromium creates an AudioContext "suspended" when its autoplay policy would refuse sound: a way to ask
    // before the first call, so whoever sets the screen up sees the gate at once.
    probe() {
      if (this.opts.mode === "off") return;
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      try {
        const ctx = new Ctx();
        const suspended = ctx.state === "suspended";
        ctx.close().catch(() => {});
        if (suspended && !(navigator.userActivation && navigator.userActivation.hasBeenActive)) this.setBlocked(true);
      } catch (e) { /* no audio device: the first call will tell */ }
    }

    setBlocked(blocked) {
      const changed = blocked !== this.blocked;
      this.blocked = blocked;
      if (changed) {
        if (blocked) console.warn("hallops: the browser refused to play sound: waiting for a tap " +
                                  "(a wall screen's browser should run with --autoplay-policy=no-user-gesture-required)");
        for (const g of GESTURES) {
          if (blocked) addEventListener(g, this.enable, { capture: true });
          else removeEventListener(g, this.enable, { capture: true });
        }
      }
      if (this.onBlocked) { try { this.onBlocked(blocked); } catch (e) { console.error(e); } }
    }

    enable() {
      // Called from a user gesture: from now on the page may play sound.
      if (!this.blocked) return;
      this.setBlocked(false);
      if (!this.busy) this.next();
    }

    async next() {
      if (this.blocked) { this.busy = false; return; }
      const now = Date.now();
      this.queue = this.queue.filter(i => now - i.queuedAt < MAX_AGE_MS);
      let item = this.queue.shift();
      while (item && !this.current(item)) { this.dropped.push(item); item = this.queue.shift(); }  // superseded
      if (!item) { this.busy = false; return; }
      this.busy = true;
      this.prefetch();
      try {
        if (this.opts.mode === "browser") await this.speak(item);
        else {
          try { await this.play(item); } catch (e) {
            if (e && e.name === "NotAllowedError") throw e;  // speech would be refused as well
            console.warn("announcement audio failed, using speech", e);
            await this.speak(item);
          }
        }
        this.played.push(item);
      } catch (e) {
        if (e && e.name === "NotAllowedError") {
          this.queue.unshift(item);  // heard after the tap
          this.busy = false;
          this.setBlocked(true);
          return;
        }
        console.warn("announcement failed", e);
      }
      this.next();
    }

    play(item) {
      return new Promise((resolve, reject) => {
        const audio = new Audio(this.url(item));
        audio.volume = Math.max(0, Math.min(1, this.opts.volume / 100));
        const timer = setTimeout(() => { audio.pause(); reject(new Error("timeout")); }, PLAY_TIMEOUT_MS);
        audio.onended = () => { clearTimeout(timer); resolve(); };
        audio.onerror = () => { clearTimeout(timer); reject(new Error("audio error")); };
        const p = audio.play();
        if (p && p.catch) p.catch(e => { clearTimeout(timer); reject(e); });
      });
    }

    speak(item) {
      // The browser's own voices: a fallback only (many screens have no Chinese voice, or none at all).
      if (!("speechSynthesis" in window)) return Promise.reject(new Error("no speech synthesis"));
      const langs = this.opts.lang.split(",");
      let chain = Promise.resolve();
      for (let r = 0; r < this.opts.repeat; r++) {
        for (const lang of langs) {
          chain = chain.then(() => new Promise((resolve, reject) => {
            const u = new SpeechSynthesisUtterance(sentence(item, lang));
            u.lang = lang === "en" ? "en-GB" : "zh-CN";
            u.volume = this.opts.volume / 100;
            u.rate = 0.9;
            u.onend = resolve;
            u.onerror = e => (e.error === "not-allowed" ? reject(notAllowed("speech not allowed")) : resolve());
            setTimeout(resolve, 15000);
            speechSynthesis.speak(u);
          }));
        }
      }
      return chain;
    }
  }

  window.hallops = window.hallops || {};
  window.hallops.Announcer = Announcer;
  window.hallops.announcementText = sentence;
})();
