"""Finding photos on disk, beside the database: <root>/<hall>/<yyyy-mm>/<uuid>.<ext>.

A photo's file is written before the write job that records its row and removed again when that job fails:
a PostgreSQL write job may run twice, so it never touches files itself. Every method blocks: call it in a
thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path

from hallops.domain.errors import E, NotFound

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, hall_id: int, data: bytes, mime: str, month: str) -> str:
        rel = Path(str(hall_id)) / month / f"{uuid.uuid4().hex}.{PHOTO_TYPES[mime]}"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # never a half-written photo under its final name
        return rel.as_posix()

    def path(self, rel: str) -> Path:
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise NotFound(E.PHOTO_NOT_FOUND, "照片不存在 (no such photo)")
        return p

    def remove(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(rel).unlink()


def photo_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
