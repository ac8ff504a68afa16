"""Announcement audio rendered offline by espeak-ng (Debian's package, Mandarin voice `cmn`), cached on disk.

One WAV per (announcement, languages, repeat): a two-tone chime, then the sentence in each language, the
whole repeated `repeat` times after the chime. Rendering runs in a subprocess and a worker thread, never on
the event loop; concurrent requests for the same audio wait for one render. Files are written atomically
and the cache keeps the newest `max_files` (a busy day adds one file per call).
"""

from __future__ import annotations

import array
import asyncio
import hashlib
import io
import logging
import math
import os
import shutil
import wave
from collections.abc import Sequence
from pathlib import Path

from hallops.voice.text import Announcement, Kind, Lang, sentence

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's native rate
VOICES = {Lang.ZH: "cmn", Lang.EN: "en-gb"}
# A call is said within 4 s, chime included, so that ten calls made within a few seconds are all heard within
# 40 s (issue 15; 7.2 s before). Measured with sox: "请 A 零 一 二 号到 5 号窗口" takes 3.0 s at 210 wpm once
# espeak's own leading and trailing silence is cut; English keeps a gentler pace (it follows the Chinese).
SPEEDS_WPM = {Lang.ZH: 210, Lang.EN: 175}
# "重呼" takes two syllables where a call's "请" takes one: a recall of a three-digit number to a two-digit
# window came to 4.1 s at 210 wpm, so recalls are said a little faster (3.9 s at 225, measured with sox).
RECALL_SPEEDS_WPM = SPEEDS_WPM | {Lang.ZH: 225}
SPEED_WPM = SPEEDS_WPM[Lang.ZH]
AMPLITUDE = 80  # espeak's 100 touches full scale; leave headroom
CHIME_TONES = ((784.0, 0.13), (659.3, 0.24))  # G5 then E5: a short "ding-dong"
GAP_SECONDS = 0.04
TAIL_SECONDS = 0.05
REPEAT_GAP_SECONDS = 0.6
SILENCE_LEVEL = 330  # |sample| under 1 % of full scale counts as silence when trimming espeak's output
ENGINE_VERSION = "3"  # part of the cache key: change it when the sound changes
DEFAULT_MAX_FILES = 400


class VoiceUnavailable(RuntimeError):
    pass


def _chime() -> bytes:
    samples = array.array("h")
    for freq, seconds in CHIME_TONES:
        n = int(RATE * seconds)
        for i in range(n):
            t = i / RATE
            env = math.exp(-4.0 * t / seconds) * min(1.0, i / (RATE * 0.005))  # soft attack, bell-like decay
            samples.append(int(0.45 * 32767 * env * (math.sin(2 * math.pi * freq * t)
                                                    + 0.25 * math.sin(4 * math.pi * freq * t)) / 1.25))
    return samples.tobytes()


def _silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


def _pcm_of(wav_bytes: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != RATE:
            raise VoiceUnavailable(f"unexpected espeak-ng output: {w.getparams()}")
        return w.readframes(w.getnframes())


def trim(pcm: bytes, level: int = SILENCE_LEVEL, keep: float = 0.01) -> bytes:
    """Cut the silence espeak-ng puts before and after speech, keeping `keep` seconds of it each side."""
    samples = array.array("h")
    samples.frombytes(pcm)
    start = next((i for i, s in enumerate(samples) if abs(s) > level), None)
    if start is None:
        return pcm
    end = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > level)
    margin = int(RATE * keep)
    return samples[max(0, start - margin):min(len(samples), end + 1 + margin)].tobytes()


def _wav(pcm: bytes) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


class VoiceEngine:
    def __init__(self, cache_dir: Path, *, espeak: str | None = None, max_files: int = DEFAULT_MAX_FILES) -> None:
        self.cache_dir = cache_dir
        self.espeak = espeak or shutil.which("espeak-ng") or "espeak-ng"
        self.max_files = max_files
        self._inflight: dict[str, asyncio.Future[Path]] = {}
        self._chime: bytes | None = None
        self.rendered = 0

    def key(self, a: Announcement, langs: Sequence[Lang], repeat: int) -> str:
        text = "|".join(sentence(a, lang) for lang in langs)
        raw = f"{ENGINE_VERSION}|{','.join(langs)}|{repeat}|{SPEEDS_WPM}|{AMPLITUDE}|{text}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    async def audio(self, a: Announcement, langs: Sequence[Lang] = (Lang.ZH,), repeat: int = 1) -> Path:
        """The WAV file of this announcement, rendered once and then served from the cache."""
        if not langs or not 1 <= repeat <= 5:
            raise ValueError("langs must be given and repeat must be 1..5")
        key = self.key(a, langs, repeat)
        path = self.cache_dir / f"{key}.wav"
        if path.exists():
            return path
        fut = self._inflight.get(key)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            speeds = RECALL_SPEEDS_WPM if a.kind is Kind.RECALL else SPEEDS_WPM
            pcm = [await self._speak(sentence(a, lang), lang, speeds[lang]) for lang in langs]
            await asyncio.to_thread(self._assemble, path, pcm, repeat)
            self.rendered += 1
            fut.set_result(path)
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved here so a lone failure is not logged as unhandled
            raise
        finally:
            del self._inflight[key]
        return path

    async def _speak(self, text: str, lang: Lang, wpm: int) -> bytes:
        try:
            proc = await asyncio.create_subprocess_exec(
                self.espeak, "-v", VOICES[lang], "-s", str(wpm), "-a", str(AMPLITUDE), "--stdout", text,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except FileNotFoundError as e:
            raise VoiceUnavailable(f"espeak-ng not found ({self.espeak}): apt-get install espeak-ng") from e
        out, err = await proc.communicate()
        if proc.returncode != 0 or not out:
            raise VoiceUnavailable(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:200]}")
        return await asyncio.to_thread(lambda: trim(_pcm_of(out)))

    def _assemble(self, path: Path, speech: list[bytes], repeat: int) -> None:
        if self._chime is None:
            self._chime = _chime()
        once = _silence(REPEAT_GAP_SECONDS * 0.5).join(speech)
        body = _silence(REPEAT_GAP_SECONDS).join([once] * repeat)
        data = _wav(self._chime + _silence(GAP_SECONDS) + body + _silence(TAIL_SECONDS))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self._prune()

    def _prune(self) -> None:
        files = sorted(self.cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        for old in files[:max(0, len(files) - self.max_files)]:
            old.unlink(missing_ok=True)


def default_cache_dir(files_dir: Path, env: dict[str, str] | None = None) -> Path:
    """HALLOPS_VOICE_CACHE if set, else `voice-cache/` in the folder of files kept beside the database."""
    env = dict(os.environ) if env is None else env
    if env.get("HALLOPS_VOICE_CACHE"):
        return Path(env["HALLOPS_VOICE_CACHE"])
    return files_dir.resolve() / "voice-cache"
