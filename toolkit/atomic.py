"""Atomic file writes with one permission policy: the only writer in the toolkit.

A reader sees the old file or the new one, never half of one: the data go to a temporary file
in the target's folder, which is then renamed over the target (``os.replace``). Every written
file gets mode 0644 (owner writes, everyone reads: processed tables, sample data and reports
are meant to be shared) unless the caller passes ``mode``; the process umask does not apply,
so the same call gives the same permissions on every machine.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Permissions of every file the toolkit writes, unless a caller says otherwise.
DEFAULT_MODE = 0o644


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, mode: int = DEFAULT_MODE) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it becomes ``path``.

    For writers that want a path of their own (``DataFrame.to_parquet``, ``to_csv``,
    ``shutil.copyfile``). The folder is created if missing. On an exception the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str, *, mode: int = DEFAULT_MODE,
                 encoding: str = "utf-8") -> Path:
    """Write ``data`` (bytes, or text encoded as ``encoding``, newlines kept) to ``path``."""
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(payload)
    return Path(path)
