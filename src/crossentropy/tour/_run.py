"""``run_tour``: run the steps, draw and write their figures, show them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossentropy._atomic import check_writable, write_atomically
from crossentropy._figures import png_bytes
from crossentropy.tour import _steps, _steps_models
from crossentropy.tour._render import show_step
from crossentropy.tour._types import StepResult

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

    from crossentropy.tour._types import Draft

__all__ = ["FIGURE_NAMES", "STEP_TITLES", "run_tour"]

#: The short title of each step, by number.
STEP_TITLES = {
    1: "Surprise",
    2: "Entropy",
    3: "Cross-entropy and KL",
    4: "Class labels versus probabilities",
    5: "The Iris network",
    6: "Residuals, squared residuals and cross-entropy",
    7: "The experiment",
    8: "Scoring the trained model",
}
#: The PNG files each step writes (steps 4 and 5 have none).
FIGURE_NAMES = {
    1: ("step1_surprise.png",),
    2: ("step2_entropy.png",),
    3: ("step3_cross_entropy.png",),
    6: ("step6_losses.png",),
    7: ("step7_training_curves.png",),
    8: ("step8_baselines.png",),
}


def _drafters(cache: _steps_models.ModelCache) -> dict[int, Callable[[], Draft]]:
    return {
        1: _steps.step_1,
        2: _steps.step_2,
        3: _steps.step_3,
        4: _steps.step_4,
        5: lambda: _steps_models.step_5(cache),
        6: _steps.step_6,
        7: _steps_models.step_7,
        8: lambda: _steps_models.step_8(cache),
    }


def _check_steps(steps: Iterable[int] | None) -> list[int]:
    if steps is None:
        return sorted(STEP_TITLES)
    chosen = []
    for step in steps:
        if isinstance(step, bool) or not isinstance(step, int) or step not in STEP_TITLES:
            msg = f"steps must be numbers from 1 to {len(STEP_TITLES)}, got {step!r}"
            raise ValueError(msg)
        if step not in chosen:
            chosen.append(step)
    return sorted(chosen)


def run_tour(
    steps: Iterable[int] | None = None,
    *,
    plots: bool = True,
    out: str | os.PathLike[str] = "tour-output",
    force: bool = False,
    console: Any = None,
    dpi: int = 120,
) -> list[StepResult]:
    """Run the guided tour of cross-entropy, step by step.

    Parameters
    ----------
    steps : iterable of int, optional
        The steps to run (1-8), in order; default all.
    plots : bool, default True
        Draw the figures and write them as PNG files into ``out``; with False nothing is
        written and matplotlib is not imported.
    out : str or path, default ``"tour-output"``
        The folder for the figures, created when missing.
    force : bool, default False
        Replace existing figure files. Without it, every file the chosen steps would write
        is checked before any work, and an existing one stops the tour.
    console : rich Console or text stream, optional
        Where to show each step as it finishes (a rich table, or plain text on any object
        with ``write``); None shows nothing.
    dpi : int, default 120
        The figures' resolution.

    Returns
    -------
    list of StepResult
        One per step run, with its explanation, tables, figure paths and numbers.

    Raises
    ------
    ValueError
        A step number outside 1-8.
    crossentropy.scoring.OutputExistsError
        A figure file exists and ``force`` is false; nothing was written.
    ImportError
        ``plots`` is true and matplotlib is not installed.

    Examples
    --------
    >>> from crossentropy.tour import run_tour
    >>> [step] = run_tour([4], plots=False)
    >>> round(step.numbers["dog"], 4), round(step.numbers["horse"], 4)
    (0.9163, 0.3567)
    """
    chosen = _check_steps(steps)
    folder = Path(out)
    if plots and folder.exists():
        for number in chosen:
            for name in FIGURE_NAMES.get(number, ()):
                check_writable(folder / name, force=force, what="figure")
    drafters = _drafters(_steps_models.ModelCache())
    results = []
    for number in chosen:
        draft = drafters[number]()
        paths = _write_figures(draft, folder, force=force, dpi=dpi) if plots else ()
        result = StepResult(
            number=number,
            title=draft.title,
            text=draft.text,
            tables=draft.tables,
            figures=paths,
            numbers=draft.numbers,
        )
        show_step(result, console)
        results.append(result)
    return results


def _write_figures(draft: Draft, folder: Path, *, force: bool, dpi: int) -> tuple[Path, ...]:
    paths = []
    for name, draw in draft.figures.items():
        data = png_bytes(draw(), dpi=dpi)
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(write_atomically(folder / name, data, force=force, what="figure"))
    return tuple(paths)
