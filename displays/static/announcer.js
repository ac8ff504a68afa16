// Spoken calls, one at a time: the server's offline audio (chime + sentence), the browser's speech as fallback.
//   const a = new hallops.Announcer({hall, token, lang: "zh" | "en" | "zh,en", repeat: 1..5, volume: 0..100,
//                                    mode: "on" | "browser" | "off"});
//   a.announce({ticket: "A012", window: 5, kind: "call" | "recall"});
"use strict";
(function () {
  const ZH_DIGITS = "零一二三四五六七八九";
  const EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  const MAX_QUEUE = 20;        // a backlog older than this is not worth hearing
  const PLAY_TIMEOUT_MS = 30000;

  function spellZh(t) { return t.split("").map(c => /\d/.test(c) ? ZH_DIGITS[+c] : c).join(" "); }
  function spellEn(t) { return t.split("").map(c => /\d/.test(c) ? EN_DIGITS[+c] : c).join(", "); }

  function sentence(item, lang) {
    if (lang === "en") {
      const s = "Number " + spellEn(item.ticket) + ", please go to window " + item.window + ".";
      return item.kind === "recall" ? "Repeat call. " + s : s;
    }
    const s = "请 " + spellZh(item.ticket) + " 号到 " + item.window + " 号窗口办理";
    return item.kind === "recall" ? "重呼，" + s : s;
  }

  class Announcer {
    constructor(opts) {
      this.opts = Object.assign({ lang: "zh", repeat: 1, volume: 100, mode: "on" }, opts);
      this.queue = [];
      this.busy = false;
      this.played = [];        // what was announced (for tests and the screen's log)
    }

    url(item) {
      const q = new URLSearchParams({ ticket: item.ticket, window: String(item.window), kind: item.kind || "call",
                                      lang: this.opts.lang, repeat: String(this.opts.repeat) });
      if (this.opts.token) q.set("token", this.opts.token);
      return "/api/v1/halls/" + encodeURIComponent(this.opts.hall) + "/announcement?" + q.toString();
    }

    announce(item) {
      if (this.opts.mode === "off") return;
      if (this.queue.length >= MAX_QUEUE) this.queue.shift();
      this.queue.push(item);
      if (!this.busy) this.next();
    }

    async next() {
      const item = this.queue.shift();
      if (!item) { this.busy = false; return; }
      this.busy = true;
      try {
        if (this.opts.mode === "browser") await this.speak(item);
        else {
          try { await this.play(item); } catch (e) { console.warn("announcement audio failed, using speech", e); await this.speak(item); }
        }
        this.played.push(item);
      } catch (e) {
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
          chain = chain.then(() => new Promise(resolve => {
            const u = new SpeechSynthesisUtterance(sentence(item, lang));
            u.lang = lang === "en" ? "en-GB" : "zh-CN";
            u.volume = this.opts.volume / 100;
            u.rate = 0.9;
            u.onend = resolve; u.onerror = resolve;
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
