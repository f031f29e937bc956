"""Files and folders for Tocsin's own user alone: the database, the secret key, the data
directory and all written in it (issue 17, finding 15).

Each is created with its mode (0600 a file, 0700 a folder) rather than under a changed umask:
the umask belongs to the whole process, so a thread restoring it could undo another's. One
found more open than that, left by an older version, is tightened, with a warning that says
which and from what; whoever needs another user to read it (a backup job) can read it as
Tocsin's user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """`path`, made a folder with every missing parent 0700, and tightened if it was there."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile
            folder.mkdir(mode=PRIVATE_DIR)
    tighten(path, PRIVATE_DIR)
    return path


def open_private(path: Path, *, exclusive: bool = False) -> BinaryIO:
    """`path` emptied and open for writing, 0600 whether it is new or was there; with
    `exclusive`, FileExistsError if it was there."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
        return os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        raise


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write `data` to `path`, 0600 (see open_private)."""
    with open_private(path, exclusive=exclusive) as file:
        file.write(data)


def tighten(path: Path, allowed: int) -> None:
    """Take from an existing `path` every permission beyond `allowed`, warning if it had any."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    excess = current & ~allowed
    if not excess:
        return
    try:
        path.chmod(current & allowed)
    except OSError as error:
        log.warning(
            "%s is open to other users (mode %s) and could not be made %s: %s",
            path,
            oct(current),
            oct(current & allowed),
            error,
        )
        return
    log.warning(
        "%s was open to other users (mode %s); it is now %s",
        path,
        oct(current),
        oct(current & allowed),
    )
