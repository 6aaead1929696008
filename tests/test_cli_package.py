"""The command line as a package: the lazy registry, the shared JSON, progress and Dask."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from crossentropy import _json
from crossentropy.cli import _common, build_parser, main
from crossentropy.cli._registry import COMMANDS


def test_every_registered_command_has_its_module_and_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, info in COMMANDS.items():
        module = importlib.import_module(info.module)
        assert callable(module.add_parser), name
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())
    for name, info in COMMANDS.items():
        assert f"{name} {info.summary}" in listed


def test_the_full_parser_holds_every_command_and_the_light_one_placeholders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    full, light = build_parser(), build_parser([])
    for name in COMMANDS:
        with pytest.raises(SystemExit) as shown:
            full.parse_args([name, "--help"])
        assert shown.value.code == 0
        assert f"usage: crossentropy {name}" in capsys.readouterr().out
        with pytest.raises(SystemExit) as refused:  # a placeholder has no options at all
            light.parse_args([name, "--help"])
        assert refused.value.code == 2
        capsys.readouterr()


def test_help_imports_only_the_command_that_runs() -> None:
    code = (
        "import sys; from crossentropy.cli import main\n"
        "try:\n    main(['compute', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('crossentropy.cli.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = result.stdout.strip().splitlines()[-1]
    assert "crossentropy.cli.compute" in loaded
    for name in ("score", "tour", "experiment", "bench", "cem", "examples"):
        assert f"crossentropy.cli.{name}'" not in loaded


def test_a_closed_pipe_ends_quietly() -> None:
    """`crossentropy ... | head -1`: no traceback on stderr, whatever the command."""
    for argv in (["score", "--example", "iris", "--json"], ["examples", "--json"]):
        with subprocess.Popen(
            [sys.executable, "-m", "crossentropy", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as child:
            assert child.stdout is not None
            assert child.stderr is not None
            child.stdout.readline()
            child.stdout.close()  # the reader leaves
            err = child.stderr.read().decode()
        assert "Traceback" not in err, err
        assert child.returncode in (0, 1)


# ---------------------------------------------------------------------------- JSON


def test_json_safe_writes_non_finite_numbers_as_text() -> None:
    @dataclasses.dataclass
    class Row:
        loss: float
        ok: np.bool_

    data = {
        "values": np.array([1.0, np.inf, -np.inf, np.nan]),
        "count": np.int64(3),
        "row": Row(float("inf"), np.bool_(True)),
        (1, 2): (0.5, None),
    }
    safe = _json.json_safe(data)
    assert safe == {
        "values": [1.0, "inf", "-inf", "nan"],
        "count": 3,
        "row": {"loss": "inf", "ok": True},
        "(1, 2)": [0.5, None],
    }
    text = _json.dumps(data)
    back = json.loads(text)  # strict JSON: no Infinity or NaN tokens
    assert "Infinity" not in text
    assert "NaN" not in text
    assert [float(v) for v in back["values"][1:3]] == [math.inf, -math.inf]
    assert math.isnan(float(back["values"][3]))
    with pytest.raises(TypeError, match="cannot turn a set into JSON"):
        _json.json_safe({1, 2})


def test_every_json_output_is_strict(capsys: pytest.CaptureFixture[str]) -> None:
    """An infinite cross-entropy on the command line is "inf", never the token Infinity."""
    assert main(["compute", "--p", "1,0", "--q", "0,1", "--json"]) == 0
    text = capsys.readouterr().out
    assert json.loads(text)["cross_entropy_p_q"] == "inf"
    assert "Infinity" not in text


# ------------------------------------------------------------------------ progress


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_shows_only_on_a_terminal_and_not_when_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    with _common.Progress("rows", total=10) as progress:  # stderr is captured: no terminal
        progress.advance(5)
        progress.update("half way")
    assert not progress.enabled
    assert capsys.readouterr() == ("", "")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _common.Progress("rows", total=10, enabled=False) as quiet:
        quiet.advance(5)
    assert terminal.text == ""
    with _common.Progress("scoring rows", total=10) as shown:
        shown.advance(10)
    assert shown.enabled
    assert "scoring rows" in terminal.text
    assert capsys.readouterr().out == ""  # never on stdout


# ---------------------------------------------------------------------------- Dask


def test_an_unreachable_scheduler_is_one_line_naming_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(_common, "DASK_CONNECT_TIMEOUT_S", 1)
    with (
        pytest.raises(_common.UsageError, match=r"^--dask tcp://127\.0\.0\.1:1: cannot reach"),
        _common.dask_client("tcp://127.0.0.1:1"),
    ):
        pass


def test_workers_below_one_are_refused_the_same_way_everywhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (
        ["score", "--example", "iris", "--workers", "0"],
        ["cem", "knapsack", "--instance", "p01", "--workers", "0"],
    ):
        assert main(argv) == 2
        assert "--workers must be at least 1, got 0" in capsys.readouterr().err
