"""The README stays true: its Python examples run as doctests and its shell examples
print exactly what the README shows."""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run() -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(README), module_relative=False, optionflags=flags)
    assert result.attempted >= 10, "the README's API tour has lost its examples"
    assert result.failed == 0


def _shell_examples() -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ crossentropy ...`` line in console blocks."""
    text = README.read_text()
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        parts = re.split(r"^\$ ", block, flags=re.MULTILINE)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            examples.append((command.strip(), output))
    return examples


def test_readme_quick_start_is_exactly_two_commands() -> None:
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]


@pytest.mark.parametrize(
    ("command", "expected"),
    _shell_examples(),
    ids=lambda v: v if v.startswith("crossentropy") else "",
)
def test_readme_shell_examples_print_what_is_shown(command: str, expected: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "crossentropy"
    # Tables are laid out for a 100-column terminal, without colour, whatever runs this.
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}}
    env.update({"COLUMNS": "100", "NO_COLOR": "1"})
    result = subprocess.run(
        [sys.executable, "-m", "crossentropy", *argv[1:]],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected.strip()
