"""`hallops backup DEST` and `hallops restore SRC` (hallops/storage/backup.py does the work).

Progress bars go to stderr (tqdm); Ctrl-C or SIGTERM during a backup leaves no partial backup behind, and
during a restore leaves the database as it was.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from hallops.config import Config
from hallops.storage import migrations
from hallops.storage.backup import BackupError, backup, restore


class _Bars:
    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(step)
        if bar is None:
            unit = " pages" if step == "database" else " files"
            bar = self.bars[step] = tqdm(total=total, desc=f"{step:10}", unit=unit, file=sys.stderr,
                                         disable=not sys.stderr.isatty() and os.environ.get("HALLOPS_PROGRESS") != "1")
        bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for b in self.bars.values():
            b.close()


def _term_is_interrupt() -> None:
    """systemd stops a timer's job with SIGTERM: treat it like Ctrl-C so the clean-up runs."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def _config_file(args: argparse.Namespace) -> Path | None:
    path = getattr(args, "config", None) or os.environ.get("HALLOPS_CONFIG")
    return Path(path) if path else None


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    _term_is_interrupt()
    bars = _Bars()
    try:
        report = backup(config.database.path, Path(args.dest), photos=config.database.files_dir / "photos",
                        config=_config_file(args), keep=args.keep, progress=bars)
    except BackupError as e:
        print(f"hallops: backup failed: {e} (no backup was written)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhallops: backup interrupted; nothing was left behind", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"hallops: backup failed: {e} (no backup was written)", file=sys.stderr)
        return 1
    finally:
        bars.close()
    size = sum(report.files.values())
    print(f"backup written: {report.path} ({len(report.files)} files, {size / 2**20:.1f} MB)")
    for p in report.pruned:
        print(f"  removed old backup {p.name} (keeping {args.keep})")
    return 0


def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    _term_is_interrupt()
    bars = _Bars()
    known = max((v for v, _, _ in migrations.available("sqlite")), default=0)
    try:
        report = restore(Path(args.src), config.database.path, photos=config.database.files_dir / "photos",
                         skip=args.skip, known_schema=known, progress=bars)
    except BackupError as e:
        print(f"hallops: restore refused: {e} (the database was not touched)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhallops: restore interrupted; the database was not touched", file=sys.stderr)
        return 130
    finally:
        bars.close()
    print(f"restored {args.src} to {report.path}")
    if "kept" in report.files:
        print("  the replaced database is kept beside it as …before-restore-…")
    days = sorted({k.split("/", 1)[1] for k in report.counters})
    if days:
        print(f"  numbering continues after the highest number seen (latest service day {days[-1]})")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common], help="back up the database, photos and settings into DEST "
                                                         "(while the server runs)")
    b.add_argument("dest", help="a folder; each backup is a new hallops-YYYYmmdd-HHMMSS folder inside it")
    b.add_argument("--keep", type=int, default=0, metavar="N", help="keep only the N newest backups in DEST")
    b.set_defaults(fn=cmd_backup)
    r = sub.add_parser("restore", parents=[common], help="restore a backup folder over the database "
                                                          "(stop the server first)")
    r.add_argument("src", help="a hallops-YYYYmmdd-HHMMSS folder made by `hallops backup`")
    r.add_argument("--skip", type=int, default=0, metavar="N",
                   help="numbers to leave out after the highest seen, per queue (when the old database is lost "
                        "and tickets were issued after the backup)")
    r.set_defaults(fn=cmd_restore)
