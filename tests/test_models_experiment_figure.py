"""The experiment's figure lives in the library: one panel per problem, a PNG that reads back."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.image import imread

from crossentropy._figures import png_bytes
from crossentropy.models import ce_vs_squared, ce_vs_squared_figure


def test_one_panel_per_problem_with_both_losses() -> None:
    results = [ce_vs_squared("iris", seeds=2, epochs=4)]
    figure = ce_vs_squared_figure(results)
    (ax,) = figure.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["cross-entropy (median)", "squared residuals (median)", "target"]
    medians = np.median(results[0].results["cross_entropy"].curves, axis=0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), medians)
    image = imread(io.BytesIO(png_bytes(figure, dpi=40)), format="png")
    assert image.shape[1] == 6 * 40  # 6 inches per panel
    assert float(image.std()) > 0  # not blank


def test_png_bytes_carry_no_software_entry() -> None:
    figure = ce_vs_squared_figure([ce_vs_squared("iris", seeds=2, epochs=2)])
    assert b"Software" not in png_bytes(figure, dpi=30)
