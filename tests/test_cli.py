"""The command line: help without NumPy, compute, examples, JSON, clear errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from crossentropy import examples
from crossentropy.cli import main


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossentropy", *argv], capture_output=True, text=True, check=False
    )


HELP_COMMANDS = [
    [],
    ["compute"],
    ["examples"],
    ["score"],
    ["experiment"],
    ["experiment", "ce-vs-squared"],
    ["tour"],
    ["cem"],
    ["cem", "rare-event"],
    *(["cem", "rare-event", event] for event in ("bridge", "network", "limit-state")),
    *(["cem", problem] for problem in ("maxcut", "tsp", "knapsack", "continuous", "buffer")),
]


def test_help_does_not_import_numpy() -> None:
    code = (
        "import sys; from crossentropy.cli import main\n"
        f"for argv in {HELP_COMMANDS!r}:\n"
        "    try:\n        main([*argv, '--help'])\n    except SystemExit:\n        pass\n"
        "    print('NUMPY' if 'numpy' in sys.modules else 'LIGHT', argv)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("NUMPY", "LIGHT"))]
    assert verdicts == [f"LIGHT {argv!r}" for argv in HELP_COMMANDS]
    assert "--base" in result.stdout
    assert "usage: crossentropy cem rare-event bridge" in result.stdout
    assert "--final-sample-size" in result.stdout
    assert "usage: crossentropy cem buffer" in result.stdout


def test_import_crossentropy_is_light() -> None:
    code = "import sys, crossentropy; print('numpy' in sys.modules, crossentropy.__version__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    light, version = result.stdout.split()
    assert light == "False"
    assert version.count(".") == 2


def test_version_and_module_entry_point() -> None:
    from crossentropy import __version__

    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"crossentropy {__version__}"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: crossentropy" in capsys.readouterr().out


def test_compute_json_matches_closed_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--p", "0.4,0.4,0.2", "--q", "0,1,0", "--base", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unit"] == "bits"
    h_p = -(0.4 * math.log2(0.4) * 2 + 0.2 * math.log2(0.2))
    assert out["entropy_p"] == pytest.approx(h_p, rel=1e-12)
    assert out["entropy_q"] == 0.0
    # H(p, q): p puts mass where q has none -> exactly infinite, written as "inf".
    assert out["cross_entropy_p_q"] == "inf"
    assert out["kl_divergence_p_q"] == "inf"
    # H(q, p): the target is dog, the prediction gives dog 0.4.
    assert out["cross_entropy_q_p"] == pytest.approx(-math.log2(0.4), rel=1e-12)
    assert out["kl_divergence_q_p"] == pytest.approx(-math.log2(0.4), rel=1e-12)
    m = [0.2, 0.7, 0.1]
    js = 0.5 * sum(pi * math.log2(pi / mi) for pi, mi in zip([0.4, 0.4, 0.2], m, strict=True))
    js += 0.5 * math.log2(1 / 0.7)
    assert out["js_divergence"] == pytest.approx(js, rel=1e-12)
    assert out["js_distance"] == pytest.approx(math.sqrt(js), rel=1e-12)
    assert out["perplexity_p"] == pytest.approx(2.0**h_p, rel=1e-12)
    assert out["perplexity_p_q"] == "inf"


def test_compute_text_shows_both_directions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--p", "0,1,0", "--q", "0.4,0.4,0.2"]) == 0
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if "cross-entropy H(p, q)" in ln)
    assert line.split()[-1] == f"{-math.log(0.4):.4f}"
    line = next(ln for ln in text.splitlines() if "cross-entropy H(q, p)" in ln)
    assert line.split()[-1] == "inf"


def test_compute_single_distribution_and_fractions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--p", "1/3,1/3,1/3", "--base", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["entropy_p"] == pytest.approx(1.0, rel=1e-12)
    assert out["perplexity_p"] == pytest.approx(3.0, rel=1e-12)
    assert out["q"] is None


def test_compute_normalize(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", "--p", "2,2", "--normalize", "--base", "bits", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entropy_p"] == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compute", "--p", "0.5,x"], r"--p: entry 1 is not a number: 'x'"),
        (["compute", "--p", "0.5,,0.5"], r"--p must be comma-separated numbers"),
        (["compute", "--p", "0.5,0.5", "--q", "1,0,0"], r"same length, got 2 and 3"),
        (["compute", "--p", "0.5,0.6"], r"--p must sum to 1"),
        (["compute", "--p", "1.5,-0.5"], r"--p must contain probabilities.*index \[0\]"),
        (["compute", "--p", "0.5,0.5", "--q", "0.5,0.6"], r"--q must sum to 1"),
        (["compute", "--p", "0.5,0.5", "--base", "1"], r"--base must be a positive number"),
        (["compute", "--p", "0.5,0.5", "--base", "parsecs"], r"--base must be nats, bits"),
    ],
)
def test_compute_bad_input_is_a_clear_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("crossentropy compute: error: ")
    assert len(captured.err.strip().splitlines()) == 1
    import re

    assert re.search(message, captured.err), captured.err


def test_examples_json_against_math_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    losses = [row["loss"] for row in out["cat-dog-horse"]]
    assert losses == pytest.approx([-math.log(0.4), -math.log(0.7)], rel=1e-12)
    assert [round(v, 2) for v in losses] == [0.92, 0.36]
    iris = out["iris"]
    assert [row["loss"] for row in iris["rows"]] == pytest.approx(
        [-math.log(0.57), -math.log(0.58), -math.log(0.52)], rel=1e-12
    )
    assert iris["total"] == pytest.approx(examples.iris_total(), rel=1e-12)
    assert round(iris["total"], 2) == 1.76
    assert iris["printed_total"] == 1.75


def test_examples_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples", "iris"]) == 0
    text = capsys.readouterr().out
    assert "-ln 0.57 = 0.5621" in text
    assert "total  1.7608 (rounds to 1.76)" in text
    assert "cat" not in text.lower().split("iris")[0]


def test_bad_subcommand_exits_2() -> None:
    result = _run("nonsense")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
