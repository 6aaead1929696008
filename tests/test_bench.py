"""crossentropy bench: the runner on tiny shapes, ratios, agreement, JSON, the command line.

No timing is asserted: only the structure of the results, that the numbers follow from
the recorded runs, and that every implementation computes the same loss.
"""

from __future__ import annotations

import io
import json
import math
import statistics
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest

from crossentropy import bench
from crossentropy.bench import CaseSpec, SuiteConfig, SuiteResult, plan_cases, run_suite
from crossentropy.bench._probability_cases import probability_inputs
from crossentropy.bench._runner import fit_linear_shape, run_case_subprocess
from crossentropy.bench._softmax_cases import softmax_inputs
from crossentropy.bench._spec import installed
from crossentropy.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    from crossentropy.bench import CaseResult

TINY = (64, 10)
PROBS = (200, 10)


@pytest.fixture(scope="module")
def suite() -> SuiteResult:
    """One small suite, shared: NumPy against ours, both modes, and probabilities.

    (scikit-learn is left out: importing it takes seconds; the float64 oracle below is
    the independent check of the probability values.)
    """
    config = SuiteConfig.quick(
        shapes=(TINY,),
        peers=("numpy",),
        ours=("kernels", "losses", "compat"),
        probabilities=PROBS,
        repeat=5,
        seed=3,
    )
    return run_suite(config, jobs=2)  # concurrent cases: fine here, no times are judged


def _oracle_softmax(seed: int) -> tuple[float, float]:
    """The mean loss and the gradient check, in float64, from the same inputs."""
    x, y = softmax_inputs(TINY, seed)
    z = x.astype(np.float64)
    lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    loss = float(np.mean(lse - z[np.arange(len(y)), y]))
    grad = np.exp(z - lse[:, None])
    grad[np.arange(len(y)), y] -= 1
    grad /= len(y)
    return loss, float(np.sum(grad[:64] ** 2))


def _by(suite: SuiteResult, group: str, mode: str) -> dict[str, CaseResult]:
    return {
        c.spec.implementation: c
        for c in suite.cases
        if (c.spec.group, c.spec.mode) == (group, mode)
    }


def test_every_case_ran_with_the_right_structure(suite: SuiteResult) -> None:
    expected = {
        ("bandwidth", "sum", "forward"),
        ("bandwidth", "sum-after", "forward"),
        ("softmax", "numpy", "forward"),
        ("softmax", "kernels", "forward"),
        ("softmax", "losses", "forward"),
        ("softmax", "numpy", "forward+backward"),
        ("softmax", "kernels", "forward+backward"),
        ("softmax", "kernels-out", "forward+backward"),
        ("softmax", "kernels-inplace", "forward+backward"),
        ("probabilities", "numpy", "forward"),
        ("probabilities", "losses", "forward"),
        ("probabilities", "compat", "forward"),
    }
    got = [(c.spec.group, c.spec.implementation, c.spec.mode) for c in suite.cases]
    assert sorted(got) == sorted(expected)
    assert len({c.name for c in suite.cases}) == len(suite.cases)
    for case in suite.cases:
        assert case.status == "ok", (case.name, case.reason)
        assert len(case.times) == 5
        assert len(case.warmup_times) == 1
        assert case.median == statistics.median(case.times)
        assert isinstance(case.extra_peak_bytes, int)
        assert case.extra_peak_bytes >= 0
        assert case.peak_method
        if case.spec.group == "softmax":
            assert case.input_bytes == TINY[0] * TINY[1] * 4
            assert case.extra_peak_input_ratio == case.extra_peak_bytes / case.input_bytes
        if case.spec.group == "probabilities":
            assert case.input_bytes == PROBS[0] * PROBS[1] * 8
        if case.spec.group == "bandwidth":
            assert case.value is None
        else:
            assert case.value is not None
            assert math.isfinite(case.value)
        assert (case.grad_check is not None) == (case.spec.mode == "forward+backward")


def test_values_agree_with_an_independent_float64_oracle(suite: SuiteResult) -> None:
    loss, check = _oracle_softmax(seed=3)
    for mode in ("forward", "forward+backward"):
        for key, case in _by(suite, "softmax", mode).items():
            assert case.value == pytest.approx(loss, rel=1e-5), key
            if mode == "forward+backward":
                assert case.grad_check == pytest.approx(check, rel=1e-5), key
    p, y = probability_inputs(PROBS, seed=3)
    exact = float(-np.mean(np.log(p[np.arange(len(y)), y])))
    probabilities = _by(suite, "probabilities", "forward")
    for key, case in probabilities.items():
        assert case.value == pytest.approx(exact, rel=1e-12), key
    # The reference of the probability group is scikit-learn when it ran, else the
    # first peer; the recorded relative differences are those of the values.
    ref = suite.reference("probabilities", "forward", PROBS)
    assert ref is not None
    assert ref.spec.implementation == "numpy"
    for case in probabilities.values():
        value_diff, grad_diff = suite.agreement(case)
        assert value_diff is not None
        assert value_diff <= 1e-12
        assert grad_diff is None


def test_ratios_are_peer_median_over_ours_median(suite: SuiteResult) -> None:
    comparisons = suite.comparisons()
    pairs = {(c.group, c.mode, c.ours, c.peer) for c in comparisons}
    assert ("softmax", "forward", "kernels", "numpy") in pairs
    assert ("softmax", "forward+backward", "kernels-inplace", "numpy") in pairs
    assert ("probabilities", "forward", "losses", "numpy") in pairs
    assert ("probabilities", "forward", "compat", "numpy") in pairs
    assert len(pairs) == len(comparisons)
    for comparison in comparisons:
        cases = _by(suite, comparison.group, comparison.mode)
        ours, peer = cases[comparison.ours], cases[comparison.peer]
        assert ours.role == "ours"
        assert peer.role == "peer"
        assert comparison.ratio == peer.median / ours.median
        assert comparison.ours_median_s == ours.median
        assert comparison.peer_median_s == peer.median
    # Peers are never compared with each other, nor ours with ours.
    roles = {(c.ours, c.peer) for c in comparisons}
    assert not any(ours == peer for ours, peer in roles)


def test_forward_cases_are_shown_against_the_read_limit(suite: SuiteResult) -> None:
    measured = suite.bandwidths(TINY, "float32")
    assert [c.spec.implementation for c in measured] == ["sum", "sum-after"]  # bracketing
    assert suite.cases[0] is measured[0]
    assert (
        suite.cases[-1 - sum(c.spec.group == "probabilities" for c in suite.cases)] is measured[1]
    )
    for case in measured:
        assert case.input_bytes == TINY[0] * TINY[1] * 4
        assert "numba" in case.details["method"] or "numpy" in case.details["method"]
    rate = max(c.input_bytes / c.median for c in measured if c.input_bytes)
    assert suite.bandwidth_bytes_per_s(TINY, "float32") == rate  # the faster is the limit
    for case in _by(suite, "softmax", "forward").values():
        assert suite.read_limit_fraction(case) == case.input_bytes / case.median / rate
    for case in _by(suite, "softmax", "forward+backward").values():
        assert suite.read_limit_fraction(case) is None
    summary = suite.to_dict()["bandwidth"]
    assert [b["when"] for b in summary] == ["before", "after"]
    assert [b["gb_per_s"] for b in summary if b["is_read_limit"]] == [rate / 1e9]


def test_json_round_trips(suite: SuiteResult) -> None:
    document = json.loads(json.dumps(suite.to_dict()))
    assert document["schema"] == bench.SCHEMA
    again = SuiteResult.from_dict(document)
    assert again == suite
    assert again.to_dict() == document
    case = document["cases"][1]
    for key in (
        "name",
        "implementation",
        "role",
        "shape",
        "dtype",
        "mode",
        "median_s",
        "times_s",
        "extra_peak_bytes",
        "extra_peak_input_ratio",
        "value",
        "value_rel_diff",
        "read_limit_fraction",
    ):
        assert key in case
    ratios = {(c["ours"], c["peer"], c["mode"]): c["ratio"] for c in document["comparisons"]}
    assert ratios == {(c.ours, c.peer, c.mode): c.ratio for c in suite.comparisons()}
    with pytest.raises(ValueError, match="schema"):
        SuiteResult.from_dict({**document, "schema": "something/else"})


def test_tables_state_the_ratio_semantics(suite: SuiteResult) -> None:
    text = bench.render_text(suite)
    assert "x faster than numpy" in text
    assert "P's median time / ours' median time" in text
    assert "max relative disagreement vs numpy" in text
    assert "kernels ..._with_grad(inplace=True)" in text
    assert "read limit" in text
    stream = io.StringIO()
    bench.print_tables(suite, stream, use_rich=installed("rich"))
    assert "x faster" in stream.getvalue()


def test_peers_not_installed_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = {"jax", "optax", "torch", "sklearn", "scipy", "crossentropy.torch"}
    monkeypatch.setattr("crossentropy.bench._runner.installed", lambda m: m not in missing)
    config = SuiteConfig.quick(shapes=(TINY,), probabilities=(10, 3), bandwidth=False)
    plan, _ = plan_cases(config)
    skipped = [item for item in plan if not isinstance(item, CaseSpec)]
    specs = [item for item in plan if isinstance(item, CaseSpec)]
    assert {s.spec.implementation for s in skipped} == {
        "torch",
        "jax",
        "scipy",
        "sklearn",
        "torch-ours",
    }
    assert all(s.status == "skipped" and "not installed" in (s.reason or "") for s in skipped)
    assert {s.implementation for s in specs} >= {"numpy", "kernels", "losses", "compat"}

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("a skipped case must not start a process")

    monkeypatch.setattr("crossentropy.bench._runner.run_case_subprocess", no_subprocess)
    only_missing = SuiteConfig.quick(
        shapes=(TINY,), peers=("jax", "torch"), ours=("torch",), probabilities=None, bandwidth=False
    )
    result = run_suite(only_missing)
    assert {c.status for c in result.cases} == {"skipped"}
    assert result.comparisons() == []
    assert "skipped: optax under jax.jit: jax, optax not installed" in bench.render_text(result)


def test_a_failing_case_is_an_error_record_not_a_crash() -> None:
    spec = CaseSpec("no-such-group", "numpy", "forward", TINY, "float32")
    result = run_case_subprocess(spec, timeout=60)
    assert result.status == "error"
    assert "unknown group" in (result.reason or "")


def test_linear_shape_is_reduced_to_fit_memory() -> None:
    shape = (4096, 1024, 128256)
    assert fit_linear_shape(shape, 23 * 10**9) == (shape, None)
    assert fit_linear_shape(shape, None) == (shape, None)
    fitted, note = fit_linear_shape(shape, 6 * 10**9)
    assert fitted[1:] == shape[1:]
    assert fitted[0] < shape[0]
    assert note is not None
    assert "N reduced from 4096" in note


def test_config_rejects_unknown_names_and_bad_counts() -> None:
    with pytest.raises(ValueError, match="peers must be among"):
        SuiteConfig(peers=("tensorflow",))
    with pytest.raises(ValueError, match="repeat must be at least 1"):
        SuiteConfig(repeat=0)
    with pytest.raises(ValueError, match="positive"):
        SuiteConfig(shapes=((0, 10),))
    assert SuiteConfig.full().linear == (4096, 1024, 128256)
    assert SuiteConfig.full().shapes == ((65536, 1000), (8192, 32000), (4096, 128256))


# ----------------------------------------------------------------------------- command line

TINY_CLI = [
    "bench",
    "--shapes",
    "16x5",
    "--modes",
    "forward",
    "--peers",
    "numpy",
    "--ours",
    "losses",
    "--no-probabilities",
    "--no-bandwidth",
    "--quiet",
]


def test_out_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "results.json"
    target.write_text("precious")
    assert main([*TINY_CLI, "--out", str(target)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert target.read_text() == "precious"

    assert main([*TINY_CLI, "--out", str(target), "--force", "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)  # stdout holds the JSON and nothing else
    assert json.loads(target.read_text()) == printed
    assert "x faster than numpy" in captured.err  # the table went to stderr
    assert [c["implementation"] for c in printed["cases"]] == ["numpy", "losses"]
    assert [c["status"] for c in printed["cases"]] == ["ok", "ok"]
    assert printed["comparisons"][0]["ours"] == "losses"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # no temporaries


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shapes", "64by10"], "--shapes needs 2 positive integers"),
        (["--shapes", "0x10"], "--shapes needs 2 positive integers"),
        (["--peers", "numpy,tensorflow"], "--peers takes names among"),
        (["--modes", "backward"], "--modes takes names among"),
        (["--repeat", "0"], "--repeat must be at least 1"),
        (["--linear-shape", "10x10"], "--linear-shape needs 3"),
        (["--out", "/nonexistent-dir/x.json"], "does not exist"),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crossentropy bench: error: ")
    assert message in err


def test_bench_help_does_not_import_numpy() -> None:
    code = (
        "import sys; from crossentropy.cli import main\n"
        "for argv in (['--help'], ['bench', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "    print('NUMPY' if 'numpy' in sys.modules else 'LIGHT', argv)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("NUMPY", "LIGHT"))]
    assert verdicts == ["LIGHT ['--help']", "LIGHT ['bench', '--help']"]
    assert "usage: crossentropy bench" in result.stdout
    assert "--peers" in result.stdout


def test_no_cases_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--shapes", "none", "--no-probabilities", "--quiet", "--json", "--plain"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["cases"] == []
    assert document["config"]["shapes"] == []


def test_command_line_names_match_the_library() -> None:
    from crossentropy.cli import bench as _cli_bench

    assert _cli_bench._PEERS == bench.PEERS
    assert _cli_bench._OURS == bench.OURS
    assert _cli_bench._MODES == ("forward", "forward+backward")


def test_public_surface() -> None:
    assert sorted(bench.__all__, key=str.lower) == sorted(set(bench.__all__), key=str.lower)
    for name in bench.__all__:
        assert getattr(bench, name) is not None
