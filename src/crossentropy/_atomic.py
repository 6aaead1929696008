"""Atomic output files that never replace an existing file unless asked to.

Used by every command that writes a file (``score``, ``tour``, ``experiment``, ``bench``);
standard library only, so importing it loads no NumPy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["OutputExistsError", "check_writable", "write_atomically"]


class OutputExistsError(FileExistsError):
    """The output file exists and ``force`` was not given."""


def check_writable(path: str | os.PathLike[str], *, force: bool, what: str = "output") -> Path:
    """Fail early, before any work, when ``path`` cannot be written.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    IsADirectoryError
        ``path`` is a directory (``""`` is the current one), even with ``force``.
    FileNotFoundError
        The directory that should hold ``path`` does not exist.
    """
    target = Path(path)
    if target.is_dir():
        msg = f"{what} {str(path) or repr(str(path))} is a directory; give a file name"
        raise IsADirectoryError(msg)
    if target.exists() and not force:
        msg = f"{what} {target} already exists; pass force=True (--force) to replace it"
        raise OutputExistsError(msg)
    if not target.resolve().parent.is_dir():
        msg = f"{what} {target}: the directory {target.resolve().parent} does not exist"
        raise FileNotFoundError(msg)
    return target


def write_atomically(
    path: str | os.PathLike[str], data: str | bytes, *, force: bool, what: str = "output"
) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place.

    A reader never sees a half-written file, and an existing file is only replaced when
    ``force`` is true (checked again just before the rename).
    """
    target = check_writable(path, force=force, what=what)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.resolve().parent)
    try:
        # mkstemp creates the file 0600; give it the mode an ordinary open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    if target.exists() and not force:  # appeared while we worked: keep what was made
        msg = (
            f"{what} {target} appeared while writing; the output is in {temporary}; "
            "pass force=True (--force) to replace it"
        )
        raise OutputExistsError(msg)
    try:
        os.replace(temporary, target)
    except BaseException:  # e.g. the target became a directory: leave nothing behind
        os.unlink(temporary)
        raise
    return target
