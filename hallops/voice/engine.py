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

from hallops.voice.text import Announcement, Lang, sentence

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's native rate
VOICES = {Lang.ZH: "cmn", Lang.EN: "en-gb"}
SPEED_WPM = 150  # slower than espeak's 175: a hall echoes
AMPLITUDE = 80  # espeak's 100 touches full scale; leave headroom
CHIME_TONES = ((784.0, 0.45), (659.3, 0.7))  # G5 then E5: "ding-dong"
GAP_SECONDS = 0.35
REPEAT_GAP_SECONDS = 0.9
ENGINE_VERSION = "1"  # part of the cache key: change it when the sound changes
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
        raw = f"{ENGINE_VERSION}|{','.join(langs)}|{repeat}|{SPEED_WPM}|{AMPLITUDE}|{text}"
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
            pcm = [await self._speak(sentence(a, lang), lang) for lang in langs]
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

    async def _speak(self, text: str, lang: Lang) -> bytes:
        try:
            proc = await asyncio.create_subprocess_exec(
                self.espeak, "-v", VOICES[lang], "-s", str(SPEED_WPM), "-a", str(AMPLITUDE), "--stdout", text,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except FileNotFoundError as e:
            raise VoiceUnavailable(f"espeak-ng not found ({self.espeak}): apt-get install espeak-ng") from e
        out, err = await proc.communicate()
        if proc.returncode != 0 or not out:
            raise VoiceUnavailable(f"espeak-ng failed ({proc.returncode}): {err.decode(errors='replace')[:200]}")
        return await asyncio.to_thread(_pcm_of, out)

    def _assemble(self, path: Path, speech: list[bytes], repeat: int) -> None:
        if self._chime is None:
            self._chime = _chime()
        once = _silence(REPEAT_GAP_SECONDS * 0.5).join(speech)
        body = _silence(REPEAT_GAP_SECONDS).join([once] * repeat)
        data = _wav(self._chime + _silence(GAP_SECONDS) + body + _silence(0.3))
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
