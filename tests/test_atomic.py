"""``crossentropy._atomic``: no file replaced without force, nothing lost on a late conflict."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest

from crossentropy._atomic import OutputExistsError, write_atomically

if TYPE_CHECKING:
    from pathlib import Path


def test_writes_with_ordinary_permissions(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "out.txt", "hello", force=False)
    assert target.read_text(encoding="utf-8") == "hello"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    with pytest.raises(OutputExistsError, match="already exists"):
        write_atomically(target, "again", force=False)
    assert target.read_text(encoding="utf-8") == "hello"
    write_atomically(target, b"replaced", force=True)
    assert target.read_bytes() == b"replaced"


def test_a_file_that_appears_meanwhile_is_kept_and_so_is_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.json"
    real_fsync = os.fsync

    def someone_else_writes(fd: int) -> None:
        real_fsync(fd)
        target.write_text("theirs", encoding="utf-8")

    monkeypatch.setattr(os, "fsync", someone_else_writes)
    with pytest.raises(OutputExistsError, match="appeared while writing") as info:
        write_atomically(target, "ours", force=False)
    assert target.read_text(encoding="utf-8") == "theirs"
    kept = [p for p in tmp_path.iterdir() if p.name.startswith(".results.json.")]
    assert len(kept) == 1
    assert str(kept[0]) in str(info.value)
    assert kept[0].read_text(encoding="utf-8") == "ours"
