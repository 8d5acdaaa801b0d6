"""Private files: the warehouse, its snapshot, logs, reports, exports and token files hold hashed buyer
identities and business figures, so orderlayer creates them readable by their owner only (files 0600,
directories 0700) unless `warehouse.private_files: false` (docs/operations.md)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The umask that makes new files 0600 and new directories 0700.
PRIVATE_UMASK = 0o077
#: Directories beside the database that orderlayer writes (logs, reports, tokens, dbt artifacts, GX docs).
_BESIDE = ("logs", "reports", "tokens", "dbt")


def use_private_umask() -> None:
    """Make every file this process (and the taps, target and dbt it starts) creates private from now on.

    Process-wide by nature: the CLI calls it once, after reading the configuration."""
    os.umask(PRIVATE_UMASK)


def tighten(db: Path) -> list[Path]:
    """Make private what earlier releases left readable by others: the database and its side files, and the
    directories beside it with their contents. Returns what changed."""
    changed = []
    side = [db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")]
    side += sorted(db.parent.glob(f"{db.stem}.snapshot*"))
    for path in side:
        changed += _private(path)
    for name in (*_BESIDE, f"{db.stem}_gx"):
        root = db.parent / name
        if not root.is_dir():
            continue
        changed += _private(root)
        for dirpath, dirnames, filenames in os.walk(root):
            for d in dirnames:
                changed += _private(Path(dirpath) / d)
            for f in filenames:
                changed += _private(Path(dirpath) / f)
    return changed


def _private(path: Path) -> list[Path]:
    """Take group and other permissions away (the owner's stay as they are); symlinks are left alone."""
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
    except FileNotFoundError:
        return []
    if path.is_symlink() or current & 0o077 == 0:
        return []
    os.chmod(path, current & 0o700)
    return [path]
