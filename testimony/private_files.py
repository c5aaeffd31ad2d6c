"""Files only the operator's account may read (mode 0600): backups and exports.

A backup holds every identity field, password hashes, API token keys and TOTP
secrets; an export every restricted record. ``open(path, "w")`` would create
them 0644 under the usual umask, readable by every account on the server. The
file is created 0600 from the start (``os.open`` with the mode), and one that
already exists is made 0600 before anything new is written into it, so there
is never a moment at which new content is readable by others.
"""

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700


def open_private(path, mode: str = "w", **kwargs):
    """``open(path, mode, **kwargs)`` for writing, truncating, with the file's mode 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE)  # an existing file keeps its old mode through os.open
        return os.fdopen(descriptor, mode, **kwargs)
    except BaseException:
        os.close(descriptor)
        raise


def create_private(path: Path) -> Path:
    """An empty 0600 file at ``path`` for another program to write into (pg_dump, dumpdata):
    both open an existing file without changing its mode. A new parent folder is 0700."""
    path.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    open_private(path, "wb").close()
    return path
