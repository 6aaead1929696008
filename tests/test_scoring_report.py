"""The reports of ``crossentropy score``: terminal (rich and plain), PNG figures, HTML.

The ScoreResult objects here are computed directly in NumPy from a small synthetic data set
(``make_result``), independently of the accumulator, so the reports are tested against
numbers whose meaning is known.
"""

from __future__ import annotations

import html.parser
import io
import math
import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from crossentropy._atomic import OutputExistsError
from crossentropy.scoring._types import (
    CalibrationBins,
    Interval,
    InvalidRow,
    InvalidSummary,
    ScoreResult,
    Verdict,
    WorstRow,
)

if TYPE_CHECKING:
    from pathlib import Path

rich = pytest.importorskip("rich")
pytest.importorskip("matplotlib")

from rich.console import Console  # noqa: E402

from crossentropy.scoring._report import _content, _html, _plots, _text  # noqa: E402

NASTY_CLASS = '<b>cat</b> & "dog" [red]x[/red] $x$'
NASTY_SOURCE = "data/<script>alert(1)</script>.csv"


# ---------------------------------------------------------------------------------------------
# A ScoreResult computed from a synthetic data set
# ---------------------------------------------------------------------------------------------


def _calibration(
    confidence: np.ndarray,
    correct: np.ndarray,
    weight: np.ndarray,
    edges: np.ndarray,
    strategy: Any,
) -> CalibrationBins:
    n_bins = len(edges) - 1
    index = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, n_bins - 1)
    w = np.bincount(index, weights=weight, minlength=n_bins)
    count = np.bincount(index, minlength=n_bins).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(index, weights=weight * confidence, minlength=n_bins) / w
        acc = np.bincount(index, weights=weight * correct, minlength=n_bins) / w
    gap = np.abs(acc - conf)
    present = count > 0
    ece = float(np.sum(w[present] / w.sum() * gap[present]))
    mce = float(gap[present].max())
    return CalibrationBins(strategy, edges, w, count, conf, acc, ece, mce)


def make_result(
    n_classes: int = 10,
    n_rows: int = 2000,
    *,
    seed: int = 0,
    n_zero: int = 0,
    interval: bool = True,
    names: tuple[str, ...] | None = None,
) -> ScoreResult:
    """A ScoreResult of an over-confident model on a synthetic data set, every field filled.

    ``n_zero`` rows give their label probability exactly 0 (cross-entropy inf).
    """
    rng = np.random.default_rng(seed)
    K = n_classes
    prior = rng.dirichlet(np.full(K, 3.0))
    labels = rng.choice(K, size=n_rows, p=prior)
    logits = rng.normal(0.0, 1.0, size=(n_rows, K))
    logits[np.arange(n_rows), labels] += 2.0
    logits *= 1.6  # over-confident
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    for r in range(n_zero):
        p[r, labels[r]] = 0.0
        p[r] /= p[r].sum()
    weight = np.ones(n_rows)
    rows = np.arange(n_rows)
    p_label = p[rows, labels]
    with np.errstate(divide="ignore"):
        ce_row = -np.log(p_label)
    predicted = p.argmax(axis=1)
    confidence = p.max(axis=1)
    correct = (predicted == labels).astype(np.float64)
    ranks = (p > p_label[:, None]).sum(axis=1)  # classes strictly more probable than the label
    top_k = {k: float(np.mean(ranks < k)) for k in (3, 5) if k < K}
    onehot = np.zeros_like(p)
    onehot[rows, labels] = 1
    brier = float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    uniform = _calibration(confidence, correct, weight, np.linspace(0, 1, 16), "uniform")
    mass_edges = np.quantile(confidence, np.linspace(0, 1, 11))
    mass_edges[0], mass_edges[-1] = 0.0, 1.0
    equal_mass = _calibration(confidence, correct, weight, mass_edges, "equal-mass")
    class_count = np.bincount(labels, minlength=K).astype(np.int64)
    class_weight = class_count.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        class_ce = np.array(
            [ce_row[labels == k].mean() if class_count[k] else np.nan for k in range(K)]
        )
        class_acc = np.bincount(labels, weights=correct, minlength=K) / class_count
    confusion = np.zeros((K, K))
    np.add.at(confusion, (labels, predicted), 1.0)
    freq = class_weight / n_rows
    nonzero = freq[freq > 0]
    prior_entropy = float(-np.sum(nonzero * np.log(nonzero)))
    edges = np.append(np.linspace(0.0, 20.0, 401), np.inf)
    hist = np.histogram(np.minimum(ce_row, 1e300), bins=edges)[0].astype(np.float64)
    if names is None:
        names = tuple(f"class_{k:04d}" for k in range(K)) if K > 20 else _small_names(K)
    worst = np.argsort(-np.where(np.isinf(ce_row), np.finfo(float).max, ce_row), kind="stable")
    worst_rows = tuple(
        WorstRow(
            source=NASTY_SOURCE if i % 2 else "preds.csv",
            row=int(i),
            label=names[labels[i]],
            cross_entropy=float(ce_row[i]),
            probability=float(p_label[i]),
            predicted=names[predicted[i]],
            confidence=float(confidence[i]),
        )
        for i in worst[:12]
    )
    ce = float(ce_row.mean())
    invalid = InvalidSummary(
        policy="skip",
        n_skipped=3,
        n_clipped=0,
        reasons={"nan": 2, "unknown label": 1},
        examples=(
            InvalidRow("preds.csv", 7, "p_cat", "nan", "nan"),
            InvalidRow("preds.csv", 19, "p_dog", "nan", "NaN"),
            InvalidRow("preds.csv", 23, "label", "unknown label", "zebra"),
        ),
    )
    return ScoreResult(
        classes=names,
        binary=K == 2,
        n_rows=n_rows,
        total_weight=float(weight.sum()),
        cross_entropy=ce,
        accuracy=float(correct.mean()),
        top_k_accuracy=top_k,
        brier_score=brier,
        calibration=uniform,
        calibration_equal_mass=equal_mass,
        class_weight=class_weight,
        class_count=class_count,
        class_cross_entropy=class_ce,
        class_accuracy=class_acc,
        confusion=confusion,
        prior=freq,
        prior_entropy=prior_entropy,
        histogram_edges=edges,
        histogram_weight=hist,
        n_infinite=int(np.isinf(ce_row).sum()),
        worst_rows=worst_rows,
        interval=Interval(ce - 0.012, ce + 0.013, 0.95, 1000, "Poisson bootstrap, percentile")
        if interval and math.isfinite(ce)
        else None,
        invalid=invalid,
        sources=("preds.csv", NASTY_SOURCE),
        options={"bins": 15, "top_k": [3, 5], "invalid": "skip", "label": "y <true>"},
    )


def _small_names(K: int) -> tuple[str, ...]:
    base = ["cat", "dog", "bird", NASTY_CLASS, "fish", "horse", "frog", "ship", "truck", "deer"]
    base += [f"extra_{k}" for k in range(K)]
    return ("negative", "positive") if K == 2 else tuple(base[:K])


def make_verdict(level: Any = "good") -> Verdict:
    return Verdict(
        level=level,
        headline="Clearly better than both baselines: 0.61 nats against 1.93 for the prior.",
        details=(
            "Skill 0.68: the model removes 68% of the uncertainty left by the label frequencies.",
            "Over-confident: ECE 0.09, accuracy below confidence in the top bins.",
        ),
        rule_of_thumb="0.5 to 1.0 nats: okay",
        rule_of_thumb_note="The tutorial scale ignores the number of classes; compare with ln K.",
    )


@pytest.fixture(scope="module")
def result10() -> ScoreResult:
    return make_result(10)


# ---------------------------------------------------------------------------------------------
# Terminal report
# ---------------------------------------------------------------------------------------------


def _rich_output(result: ScoreResult, verdict: Verdict, **kwargs: Any) -> str:
    stream = io.StringIO()
    console = Console(file=stream, width=120, color_system=None)
    _text.render_text(result, verdict, console=console, **kwargs)
    return stream.getvalue()


def test_text_headline_first_then_metrics(result10: ScoreResult) -> None:
    verdict = make_verdict()
    out = _rich_output(result10, verdict, detected="CSV, 10 probability columns")
    first = out.lstrip().splitlines()[0]
    assert "GOOD" in first
    assert verdict.headline[:40] in first
    assert out.index(verdict.headline[:40]) < out.index("cross-entropy")
    assert "input: CSV, 10 probability columns" in out
    ce = result10.cross_entropy
    assert f"{ce:.4f} nats" in out
    assert f"{ce / math.log(2):.4f} bits" in out
    assert f"{result10.perplexity:,.3f}" in out
    assert f"{math.log(10):.4f} nats" in out  # ln K
    assert f"{result10.prior_entropy:.4f} nats" in out
    assert f"{1 - ce / result10.prior_entropy:.3f}" in out
    assert f"{100 * result10.accuracy:.2f}%" in out
    assert f"{100 * result10.top_k_accuracy[3]:.2f}%" in out
    assert "Brier (sum over classes, 0-2)" in out
    assert f"{result10.brier_score:.4f}" in out
    for bins in (result10.calibration, result10.calibration_equal_mass):
        assert f"{bins.ece:.4f}" in out
        assert f"{bins.mce:.4f}" in out
    assert result10.interval is not None
    assert f"{result10.interval.low:.4f} to {result10.interval.high:.4f} nats" in out
    assert "95% interval" in out
    assert "rows skipped" in out
    assert "nan: 2, unknown label: 1" in out
    assert "preds.csv, row 23, column label: unknown label (zebra)" in out
    for detail in verdict.details:
        assert detail[:50] in out
    assert "rule of thumb" in out
    assert "0.5 to 1.0 nats: okay" in out
    assert "compare with ln K" in out
    # The order of the parts.
    positions = [
        out.index(verdict.headline[:40]),
        out.index("Brier"),
        out.index(verdict.details[0][:30]),
        out.index("rule of thumb"),
        out.index("per class"),
        out.index("worst rows"),
    ]
    assert positions == sorted(positions)


def test_text_markup_in_user_text_is_printed_as_written(result10: ScoreResult) -> None:
    out = _rich_output(result10, make_verdict())
    assert "[red]x[/red]" in out  # the class name, not rich markup
    assert "<b>cat</b>" in out


def test_text_per_class_lines_for_small_k_and_worst_five_for_large_k(
    result10: ScoreResult,
) -> None:
    out = _rich_output(result10, make_verdict())
    for name in result10.classes:
        if "[" not in name:
            assert name in out
    big = make_result(50, 3000, seed=2)
    out = _rich_output(big, make_verdict())
    assert "the 5 worst of 50 classes" in out
    order = np.argsort(-big.class_cross_entropy, kind="stable")
    block = out[out.index("the 5 worst") : out.index("worst rows")]
    shown = [name for name in big.classes if re.search(rf"\b{name}\b", block)]
    assert sorted(shown) == sorted(big.classes[i] for i in order[:5])


def test_text_worst_rows(result10: ScoreResult) -> None:
    out = _rich_output(result10, make_verdict())
    block = out[out.index("worst rows") :]
    for header in ("source", "row", "label", "p(label)", "predicted", "confidence", "CE"):
        assert header in block
    worst = result10.worst_rows[0]
    assert f"{worst.cross_entropy:.4f}" in block
    assert "10 of the 12 worst rows" in block


def test_text_bits_unit(result10: ScoreResult) -> None:
    out = _rich_output(result10, make_verdict(), unit="bits")
    ce_bits = result10.cross_entropy / math.log(2)
    line = next(line for line in out.splitlines() if line.startswith("cross-entropy"))
    assert f"{ce_bits:.4f} bits" in line
    assert f"= {result10.cross_entropy:.4f} nats" in line
    assert f"{math.log2(10):.4f} bits" in out  # ln K in bits: log2 K
    assert "per class (CE in bits)" in out
    with pytest.raises(ValueError, match="unit must be 'nats' or 'bits'"):
        _rich_output(result10, make_verdict(), unit="dits")


def test_text_headline_colour_follows_level(result10: ScoreResult) -> None:
    def coloured(level: str) -> str:
        stream = io.StringIO()
        console = Console(file=stream, width=120, force_terminal=True, color_system="standard")
        _text.render_text(result10, make_verdict(level), console=console)
        return stream.getvalue().splitlines()[0]

    good, broken = coloured("good"), coloured("broken")
    assert "\x1b[" in good
    assert "32" in good  # green
    assert "41" in broken  # on red
    assert good != broken


def test_text_infinite_cross_entropy() -> None:
    result = make_result(4, 300, seed=3, n_zero=2)
    assert math.isinf(result.cross_entropy)
    out = _rich_output(result, make_verdict("broken"))
    assert "inf nats" in out
    assert "rows with p(label) = 0" in out
    plain = _text.plain_text(result, make_verdict("broken"))
    assert "BROKEN:" in plain
    assert "inf nats" in plain


def test_plain_text_has_the_same_content(result10: ScoreResult) -> None:
    verdict = make_verdict()
    plain = _text.plain_text(result10, verdict, detected="CSV")
    assert plain.startswith("GOOD: " + verdict.headline)
    assert "\x1b" not in plain
    for line in _content.metric_lines(result10):
        assert line.label in plain
        assert line.value in plain
    assert "rule of thumb" in plain
    assert verdict.rule_of_thumb_note in plain
    assert NASTY_CLASS in plain
    assert "worst rows" in plain
    # Columns are aligned: the metric values are right-justified to one edge.
    metric_block = plain.split("\n\n")[2].splitlines()
    ends = {
        line.index(m.value) + len(m.value)
        for m in _content.metric_lines(result10)
        for line in metric_block
        if line.startswith(m.label + " ")
    }
    assert len(ends) == 1


def test_render_text_prints_to_stdout_by_default(
    capsys: pytest.CaptureFixture[str], result10: ScoreResult
) -> None:
    _text.render_text(result10, make_verdict())
    assert f"{result10.cross_entropy:.4f} nats" in capsys.readouterr().out


def test_plain_text_needs_no_rich(monkeypatch: pytest.MonkeyPatch, result10: ScoreResult) -> None:
    import builtins

    real_import = builtins.__import__

    def no_rich(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "rich" or name.startswith("rich."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rich)
    assert "GOOD: " in _text.plain_text(result10, make_verdict())
    with pytest.raises(ImportError, match=r"pip install 'crossentropy\[rich\]'"):
        _text.render_text(result10, make_verdict())


def test_a_single_class_makes_every_report(tmp_path: Path) -> None:
    result = make_result(1, 50, seed=8)
    assert math.isnan(result.skill)
    verdict = make_verdict("no skill")
    plain = _text.plain_text(result, verdict)
    assert "undefined: only one class occurs in the labels" in plain
    assert _plots.write_pngs(result, tmp_path, dpi=30)
    parsed = _parse(_html.render_html(result, verdict))
    assert parsed.metrics["skill"] == "n/a"


def test_metric_lines_without_interval_and_binary() -> None:
    result = make_result(2, 500, seed=1, interval=False)
    keys = [line.key for line in _content.metric_lines(result)]
    assert "interval" not in keys
    assert "top_3_accuracy" not in keys  # k < K only
    assert keys[:3] == ["cross_entropy", "perplexity", "uniform_baseline"]
    assert {"ece_uniform", "mce_uniform", "ece_equal_mass", "mce_equal_mass"} <= set(keys)


# ---------------------------------------------------------------------------------------------
# PNG figures
# ---------------------------------------------------------------------------------------------


def _read_png(path: Path) -> np.ndarray:
    import matplotlib.image

    image: np.ndarray = matplotlib.image.imread(str(path))
    return image


def test_write_pngs(tmp_path: Path, result10: ScoreResult) -> None:
    directory = tmp_path / "figures" / "nested"  # created when missing
    written = _plots.write_pngs(result10, directory, dpi=80)
    assert [p.name for p in written] == list(_plots.PNG_NAMES)
    for path in written:
        image = _read_png(path)
        width, height = _plots.figure_size(result10, path.stem)
        assert image.shape[0] == pytest.approx(height * 80, abs=2)
        assert image.shape[1] == pytest.approx(width * 80, abs=2)
        assert float(image[..., :3].var()) > 1e-3, f"{path.name} is blank"
    assert sorted(os.listdir(directory)) == sorted(_plots.PNG_NAMES)  # no temporary files


def test_write_pngs_refuses_to_overwrite_any(tmp_path: Path, result10: ScoreResult) -> None:
    (tmp_path / "histogram.png").write_bytes(b"mine")
    with pytest.raises(OutputExistsError, match=r"histogram\.png already exists"):
        _plots.write_pngs(result10, tmp_path, dpi=40)
    assert os.listdir(tmp_path) == ["histogram.png"]  # nothing else was written
    assert (tmp_path / "histogram.png").read_bytes() == b"mine"
    written = _plots.write_pngs(result10, tmp_path, dpi=40, force=True)
    assert (tmp_path / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in written)


def test_plots_draw_on_a_given_axes_and_leave_pyplot_alone(result10: ScoreResult) -> None:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    backend = mpl.get_backend()
    rc = dict(mpl.rcParams)
    figure = Figure(figsize=(12, 8))
    axes = figure.subplots(2, 2).ravel()
    assert _plots.plot_reliability(result10, ax=axes[0]) is axes[0]
    assert _plots.plot_reliability(result10, strategy="equal-mass", ax=axes[1]) is axes[1]
    assert _plots.plot_histogram(result10, ax=axes[2]) is axes[2]
    assert _plots.plot_classes(result10, ax=axes[3]) is axes[3]
    assert f"ECE {result10.ece:.4f}" in axes[0].get_title()
    assert "equal-mass" in axes[1].get_title()
    assert mpl.get_backend() == backend
    assert dict(mpl.rcParams) == rc
    with pytest.raises(ValueError, match="strategy must be"):
        _plots.plot_reliability(result10, strategy="quantile")  # type: ignore[arg-type]


def test_histogram_range_and_reference_lines(result10: ScoreResult) -> None:
    ax = _plots.plot_histogram(result10)
    low, high = ax.get_xlim()
    assert low == 0
    assert high >= math.log(10)  # ln K is inside the range
    assert high < 20  # not the whole fine histogram
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(str(label).startswith("mean CE") for label in labels)
    assert any(str(label).startswith("uniform ln K") for label in labels)
    assert any(str(label).startswith("prior H(prior)") for label in labels)
    heavy = make_result(4, 400, seed=4, n_zero=5)
    ax = _plots.plot_histogram(heavy)
    legend = ax.get_legend()
    assert legend is not None
    notes = " ".join(text.get_text() for text in legend.get_texts())
    assert "5 with p(label) = 0, CE inf" in notes
    assert "overflow bin (> 20): 5 rows" in notes
    assert "mean CE = inf" in notes


def test_classes_plot_shows_worst_and_best_for_many_classes() -> None:
    big = make_result(200, 4000, seed=5)
    ax = _plots.plot_classes(big)
    assert "15 worst and 15 best of 200 classes" in ax.get_title()
    ticks = [label.get_text() for label in ax.get_yticklabels()]
    order = np.argsort(-big.class_cross_entropy, kind="stable")
    assert ticks[0] == big.classes[order[0]]  # the worst on top
    assert len([t for t in ticks if t.startswith("class_")]) == 30


def test_missing_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, result10: ScoreResult
) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'crossentropy\[plot\]'"):
        _plots.plot_histogram(result10)


# ---------------------------------------------------------------------------------------------
# HTML report
# ---------------------------------------------------------------------------------------------


class _Page(html.parser.HTMLParser):
    """Collects what the tests look for: ids, data-metric cells, resource references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.metrics: dict[str, str] = {}
        self.references: list[str] = []
        self.classes: list[str] = []
        self.svg_text = 0
        self._metric: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if values.get("data-metric"):
            self._metric = str(values["data-metric"])
            self.metrics[self._metric] = ""
        if values.get("data-class") is not None:
            self.classes.append(str(values["data-class"]))
        if tag == "text":
            self.svg_text += 1
        for name, value in attrs:
            if name in {"src", "href", "xlink:href", "action", "srcset", "poster", "data"}:
                self.references.append(str(value))
            if name == "style" and value and "url(" in value:
                self.references.extend(re.findall(r"url\(([^)]*)\)", value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._metric = None

    def handle_data(self, data: str) -> None:
        if self._metric is not None:
            self.metrics[self._metric] += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


SECTIONS = [
    "verdict",
    "metrics",
    "rule-of-thumb",
    "reliability",
    "histogram",
    "classes",
    "worst-rows",
    "invalid",
    "sources",
]


def _check_self_contained(page: str, parsed: _Page) -> None:
    assert not re.search(r"https?:", page, flags=re.IGNORECASE)
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags
    assert "img" not in parsed.tags
    assert "@import" not in page
    assert "@font-face" not in page
    for reference in parsed.references:
        assert reference.startswith("#"), reference  # only in-page references
        assert reference[1:] in parsed.ids, f"{reference} points nowhere"


def test_html_sections_metrics_and_no_network(result10: ScoreResult) -> None:
    import matplotlib as mpl

    rc = dict(mpl.rcParams)
    verdict = make_verdict()
    page = _html.render_html(result10, verdict, detected="CSV <3 columns>")
    assert dict(mpl.rcParams) == rc  # svg.fonttype was set only while drawing
    assert _html.render_html(result10, verdict, detected="CSV <3 columns>") == page
    parsed = _parse(page)
    assert [i for i in parsed.ids if i in SECTIONS] == SECTIONS  # all, in this order
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    assert page.index('id="verdict"') < page.index('id="metrics"')
    expected = {m.key: m.value for m in _content.metric_lines(result10)}
    assert parsed.metrics == expected
    assert parsed.metrics["cross_entropy"] == f"{result10.cross_entropy:.4f} nats"
    assert parsed.tags.count("svg") == 4
    assert parsed.svg_text > 40  # the figures' text stayed text
    assert parsed.classes == list(result10.classes)
    _check_self_contained(page, parsed)
    assert 'data-level="good"' in page
    assert "CSV &lt;3 columns&gt;" in page


def test_html_escapes_user_text(result10: ScoreResult) -> None:
    page = _html.render_html(result10, make_verdict(), title="<i>t</i>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>cat</b>" not in page
    assert "&lt;b&gt;cat&lt;/b&gt; &amp; &quot;dog&quot;" in page
    assert "<i>t</i>" not in page
    assert "y &lt;true&gt;" in page  # an option's value


def test_html_binary_and_many_classes() -> None:
    binary = make_result(2, 800, seed=6)
    page = _html.render_html(binary, make_verdict("excellent"))
    parsed = _parse(page)
    assert parsed.classes == ["negative", "positive"]
    assert parsed.tags.count("svg") == 4
    _check_self_contained(page, parsed)

    big = make_result(1000, 5000, seed=7, n_zero=1)
    page = _html.render_html(big, make_verdict("worse than guessing"))
    parsed = _parse(page)
    assert len(parsed.classes) == 1000
    assert parsed.metrics["cross_entropy"] == "inf nats"
    assert "15 worst and 15 best of 1,000 classes" in page
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    _check_self_contained(page, parsed)


def test_write_html_atomic_and_refuses_to_overwrite(tmp_path: Path, result10: ScoreResult) -> None:
    path = tmp_path / "report.html"
    assert _html.write_html(result10, make_verdict(), path) == path
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left
    with pytest.raises(OutputExistsError, match="already exists"):
        _html.write_html(result10, make_verdict(), path)
    _html.write_html(result10, make_verdict("broken"), path, force=True)
    assert 'data-level="broken"' in path.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _html.write_html(result10, make_verdict(), tmp_path / "missing" / "r.html")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "headless Chromium not found (apt-get install chromium): "
        "the HTML report was not rendered in a browser"
    )


def _run_chromium(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def test_html_renders_in_headless_chromium(tmp_path: Path, result10: ScoreResult) -> None:
    browser = _chromium()
    path = _html.write_html(result10, make_verdict(), tmp_path / "report.html")
    url = path.resolve().as_uri()
    dom = _run_chromium(browser, tmp_path, "--dump-dom", url).stdout
    parsed = _parse(dom)
    assert [i for i in parsed.ids if i in SECTIONS] == SECTIONS
    expected = {m.key: m.value for m in _content.metric_lines(result10)}
    assert parsed.metrics == expected
    assert parsed.tags.count("svg") == 4
    assert parsed.svg_text > 40
    assert f"ECE {result10.ece:.4f}" in dom  # the reliability diagram's title, as SVG text
    assert "Per-row cross-entropy" in dom
    screenshot = tmp_path / "report.png"
    _run_chromium(browser, tmp_path, f"--screenshot={screenshot}", "--window-size=1200,3000", url)
    image = _read_png(screenshot)
    assert image.shape[:2] == (3000, 1200)
    assert float(image[..., :3].var()) > 1e-3
