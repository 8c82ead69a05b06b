"""Infrastructure layer: files in the data folder are private to the service user (SPEC §8 "Running it for real").

Folders pingyi creates are 0700, files 0600 (the SQLite database, the secret key, the access log, card sheets).
A file is created with its mode at open time, never chmod-ed after being written with the umask's mode.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create `path` (and missing parents) as 0700. With `tighten`, an existing folder is made 0700 too."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for p in missing:
        os.chmod(p, DIR_MODE)  # mkdir's mode is masked by the umask
    if tighten and not missing:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists with mode 0600 (created empty when missing) and its folder exists."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 and write `data` (fails if it already exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
