"""Running ``crossentropy cem``: executors, progress, the iteration tables and the reports.

The problem-specific parts (which problem, which family, how to show its answer) come
from :mod:`crossentropy._cli_cem`; this module runs the library on them and prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from crossentropy._cli_common import UsageError, json_number

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from concurrent.futures import Executor

    import numpy as np
    from numpy.typing import NDArray

    from crossentropy.method import IterationLog, OptimizeResult, RareEventResult

    Batch = Callable[[NDArray[Any]], NDArray[np.float64]]

__all__ = [
    "NoAnswerError",
    "Setup",
    "estimate",
    "fmt",
    "optimize",
    "vector",
]

_STOP_TEXT = {
    "target": "the target was reached",
    "degenerate": "the sampling family collapsed to (nearly) one point",
    "stalled": "the elite level did not improve for 5 iterations",
    "max_iterations": "--max-iterations reached",
    "max_evaluations": "the evaluation budget was spent",
}


class NoAnswerError(Exception):
    """The method ran but gave no answer (a stalled rare-event climb): exit status 1."""


def fmt(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits; ``inf`` and ``nan`` as words."""
    return f"{value:.{digits}g}" if math.isfinite(value) else str(value)


def vector(values: Any, digits: int = 4, limit: int = 10) -> str:
    """``(v1, v2, ...)``, at most ``limit`` entries."""
    items = [fmt(float(v), digits) for v in list(values)[:limit]]
    more = ", ..." if len(values) > limit else ""
    return f"({', '.join(items)}{more})"


def _jsonable(value: Any) -> Any:
    """``value`` with arrays as lists and non-finite floats as strings (JSON has neither)."""
    if isinstance(value, float):
        return json_number(float(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return _jsonable(value.tolist())
    return value


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(_jsonable(payload), indent=2))


def _parameters(family: object) -> dict[str, Any]:
    """The public parameters of a (dataclass) sampling family: ``{"p": ...}`` and so on."""
    if not dataclasses.is_dataclass(family):
        return {}
    names = [f.name for f in dataclasses.fields(family) if not f.name.startswith("_")]
    return {name: getattr(family, name) for name in names if getattr(family, name) is not None}


def _row(columns: list[str], cells: list[str]) -> str:
    """One line of a table: ``t`` 3 wide, the other columns at least 10."""
    widths = [3] + [max(len(h), 10) for h in columns[1:]]
    return "  ".join(f"{c:>{w}}" for w, c in zip(widths, cells, strict=True))


def _seed_text(args: argparse.Namespace, seed: int) -> str:
    drawn = "" if args.seed is not None else f" (drawn; --seed {seed} repeats this run)"
    return f"seed {seed}{drawn}"


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor | None, int, str]]:
    """The executor of ``--workers`` / ``--dask``, its number of slots and a description."""
    if args.workers is not None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: safe in a process that already runs threads (fork is not), on every OS
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
            yield pool, args.workers, f"{args.workers} worker processes"
        return
    if args.dask is None:
        yield None, 1, ""
        return
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        msg = "--dask needs Dask's distributed scheduler: pip install 'crossentropy[dask]'"
        raise UsageError(msg) from None
    with contextlib.ExitStack() as stack:
        if args.dask == "local":  # in this process: one worker, a thread per core
            # ":0": a free port. The scheduler's HTTP server starts even without a
            # dashboard, on 8787 by default, and warns when another cluster holds it.
            cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0")
            stack.enter_context(cluster)
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(args.dask, timeout=10))
            except (OSError, TimeoutError, ValueError) as exc:
                msg = f"cannot connect to the Dask scheduler at {args.dask!r}: {exc}"
                raise UsageError(msg) from None
        slots = max(1, sum(client.nthreads().values()))
        # pure=False: the tasks must run as given, never merged with look-alike calls
        executor = client.get_executor(pure=False)
        yield executor, slots, f"Dask at {args.dask} ({slots} threads)"


class _Chunked:
    """A vectorised objective that spreads each sample over an executor, in order."""

    def __init__(self, task: Callable[[], Batch], executor: Executor | None, n_tasks: int) -> None:
        self.task, self.executor, self.n_tasks = task, executor, n_tasks

    def __call__(self, batch: NDArray[Any]) -> NDArray[np.float64]:
        import numpy as np

        evaluate = self.task()  # a fresh task per sample: the buffer line's seed changes
        if self.executor is None or self.n_tasks < 2 or batch.shape[0] < 2:
            return evaluate(batch)
        chunks = np.array_split(batch, min(batch.shape[0], self.n_tasks))
        return np.concatenate(list(self.executor.map(evaluate, chunks)))


class _Progress:
    """A transient status line on stderr, when stderr is a terminal and rich is installed."""

    def __init__(self) -> None:
        self._live: Any = None
        self._spinner: Any = None

    def __enter__(self) -> _Progress:
        if not sys.stderr.isatty():
            return self
        try:
            from rich.console import Console
            from rich.live import Live
            from rich.spinner import Spinner
        except ImportError:
            return self
        self._spinner = Spinner("dots", "starting")
        self._live = Live(
            self._spinner,
            console=Console(stderr=True),
            transient=True,
            # Rows printed to a terminal are routed above the status line; to a file or
            # a pipe they go straight to stdout.
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=False,
            refresh_per_second=8,
        )
        self._live.start()
        return self

    def update(self, text: str) -> None:
        if self._live is not None:
            self._spinner.update(text=text)
            self._live.refresh()

    def __exit__(self, *_exc: object) -> None:
        if self._live is not None:
            self._live.stop()


@dataclasses.dataclass(frozen=True)
class Setup:
    """One optimisation problem as the command runs it.

    Attributes
    ----------
    problem
        A problem of :mod:`crossentropy.method.problems` (``sense``, ``optimum``, ...).
    family
        The initial sampling family.
    task
        Called once per sample; returns the vectorised evaluation of that sample (a
        picklable callable, for the executors).
    sample_size, rho
        The command's defaults for ``--sample-size`` and ``--rho``.
    answer
        ``answer(best) -> (lines, fields)``: how to show the best candidate, as text
        lines and as extra JSON fields.
    score
        ``score(best)``: the value to judge against the optimum when it is not the
        best value itself (a noisy simulation's); ``None`` for the best value.
    stall_iterations
        Passed to the optimiser: 5 (the tutorial's rule), or ``None`` for a noisy
        objective, whose elite level moves with the noise and proves nothing.
    """

    problem: Any
    family: Any
    task: Callable[[], Batch]
    sample_size: int
    rho: float
    answer: Callable[[Any], tuple[list[str], dict[str, Any]]]
    score: Callable[[Any], float] | None = None
    stall_iterations: int | None = 5


def optimize(
    args: argparse.Namespace, setup: Setup, seed: int, rng: np.random.Generator | None = None
) -> int:
    """Run ``minimize``/``maximize`` on ``setup`` with the options of ``args``; print."""
    from crossentropy.method import maximize, minimize

    problem = setup.problem
    options: dict[str, Any] = {
        "sample_size": args.sample_size or setup.sample_size,
        "rho": setup.rho if args.rho is None else args.rho,
        "alpha": 0.7 if args.alpha is None else args.alpha,
        "max_iterations": args.max_iterations,
        "stall_iterations": setup.stall_iterations,
        "restarts": args.restarts,
    }
    columns: list[str] = []
    with _executor(args) as (executor, n_tasks, where), _Progress() as progress:
        if not args.json:
            print(problem.describe())
            print(
                f"cross-entropy method, {type(setup.family).__name__} family: "
                f"N = {options['sample_size']}, rho = {options['rho']:g}, "
                f"alpha = {options['alpha']:g}, at most {options['max_iterations']} "
                f"iterations, {_seed_text(args, seed)}"
            )
            if options["restarts"]:
                print(f"up to {options['restarts']} restarts when a run stalls")
            if where:
                print(f"evaluating on {where}")

        def on_iteration(log: IterationLog) -> None:
            if not columns:
                columns.extend(["t", "elite level", "best so far", *log.summary])
                if not args.json:
                    print(_row(columns, columns))
            if not args.json:
                if log.run and log.iteration == 1:
                    print(f"restart {log.run}")
                values = [fmt(log.elite_level), fmt(log.best_so_far)]
                values += [fmt(v, 4) for v in log.summary.values()]
                print(_row(columns, [str(log.iteration), *values]), flush=True)
            progress.update(
                f"{problem.name}: t = {log.iteration}, elite level {fmt(log.elite_level)}, "
                f"best so far {fmt(log.best_so_far)}"
            )

        run = maximize if problem.sense == "maximize" else minimize
        result: OptimizeResult[Any] = run(
            _Chunked(setup.task, executor, n_tasks),
            setup.family,
            vectorized=True,
            rng=seed if rng is None else rng,
            callback=on_iteration,
            **options,
        )
    options = {"seed": seed, **options, "workers": args.workers, "dask": args.dask}
    _report(args, setup, result, options)
    return 0


def _report(
    args: argparse.Namespace, setup: Setup, result: OptimizeResult[Any], options: dict[str, Any]
) -> None:
    problem = setup.problem
    optimum = problem.optimum
    judged = result.best_value if setup.score is None else setup.score(result.best)
    gap = None
    if optimum is not None:
        gap = optimum - judged if problem.sense == "maximize" else judged - optimum
    lines, fields = setup.answer(result.best)
    if args.json:
        _print_json(
            {
                "command": args.cem_command,
                "problem": {
                    "name": problem.name,
                    "description": problem.describe(),
                    "sense": problem.sense,
                },
                "options": options,
                "best": result.best,
                "best_value": result.best_value,
                **fields,
                "optimum": optimum,
                "gap": gap,
                "relative_gap": gap / abs(optimum) if gap is not None and optimum else None,
                "n_iterations": result.n_iterations,
                "n_evaluations": result.n_evaluations,
                "stop_reasons": result.stop_reasons,
                "runs": [dataclasses.asdict(run) for run in result.runs],
                "family": {"type": type(result.family).__name__, **_parameters(result.family)},
                "history": [dataclasses.asdict(log) for log in result.history],
            }
        )
        return
    reasons = "; ".join(_STOP_TEXT.get(reason, reason) for reason in result.stop_reasons)
    runs = f" in {len(result.runs)} runs" if len(result.runs) > 1 else ""
    print(
        f"stopped after {result.n_iterations} iterations{runs} and {result.n_evaluations} "
        f"evaluations: {reasons}"
    )
    print(f"best value {fmt(result.best_value, 10)}")
    for line in lines:
        print(line)
    if optimum is None or gap is None:
        print("known optimum: none given")
    elif abs(gap) <= 1e-9 * max(1.0, abs(optimum)):
        print(f"known optimum {fmt(optimum, 10)}: found")
    else:
        relative = f" ({gap / abs(optimum):.2%})" if optimum else ""
        print(f"known optimum {fmt(optimum, 10)}: gap {fmt(gap)}{relative}")


def estimate(
    args: argparse.Namespace,
    problem: Any,
    nominal: Any,
    options: dict[str, Any],
    seed: int,
    *,
    hint: str = "",
) -> int:
    """Run ``estimate_rare_event`` on ``problem`` from ``nominal``; print the levels.

    ``hint`` is added to the message when the levels stall.
    """
    from crossentropy.method import RareEventStalledError, estimate_rare_event

    exact = problem.exact_probability
    if not args.json:
        print(problem.describe())
        print(
            f"multilevel cross-entropy, {type(nominal).__name__} family: "
            f"N = {options['sample_size']} per level, rho = {options['rho']:g}, "
            f"alpha = {options['alpha']:g}, final sample {options['final_sample_size']}, "
            f"{_seed_text(args, seed)}"
        )
    result: RareEventResult | None = None
    with _executor(args) as (executor, _slots, where), _Progress() as progress:
        if where and not args.json:
            print(f"evaluating on {where}")
        progress.update(
            f"{problem.name}: levels of {options['sample_size']} samples, then a final "
            f"sample of {options['final_sample_size']}"
        )
        try:
            result = estimate_rare_event(
                problem.performance,
                nominal,
                problem.threshold,
                vectorized=True,
                executor=executor,
                rng=seed,
                **options,
            )
        except RareEventStalledError as exc:
            levels, failure = exc.levels, f"{exc}{hint}"
        else:
            levels, failure = result.levels, ""
    if args.json:
        payload: dict[str, Any] = {
            "command": f"rare-event {args.event}",
            "problem": {
                "name": problem.name,
                "description": problem.describe(),
                "threshold": problem.threshold,
            },
            "options": {"seed": seed, **options, "workers": args.workers, "dask": args.dask},
            "exact_probability": exact,
        }
        if result is None:
            payload["error"] = failure
        else:
            payload.update(
                probability=result.probability,
                relative_error=result.relative_error,
                confidence_interval=result.confidence_interval,
                confidence=result.confidence,
                ratio=result.probability / exact,
                n_hits=result.n_hits,
                n_evaluations=result.n_evaluations,
                proposal={"type": type(result.proposal).__name__, **_parameters(result.proposal)},
            )
        payload["levels"] = [dataclasses.asdict(level) for level in levels]
        _print_json(payload)
    else:
        columns = ["t", "gamma_t", "elites", *levels[0].summary]
        print(_row(columns, columns))
        for level in levels:
            summary = (fmt(v, 4) for v in level.summary.values())
            print(
                _row(columns, [str(level.level), fmt(level.gamma), str(level.n_elites), *summary])
            )
    if result is None:
        raise NoAnswerError(failure)
    if not args.json:
        proposal = _parameters(result.proposal).items()
        low, high = result.confidence_interval
        print(f"final proposal: {', '.join(f'{k} = {vector(v)}' for k, v in proposal)}")
        print(f"estimate            {result.probability:.4e}")
        print(f"relative error      {result.relative_error:.3g}")
        print(f"{result.confidence:.0%} interval        [{low:.4e}, {high:.4e}]")
        print(f"exact               {exact:.4e}")
        print(f"estimate / exact    {result.probability / exact:.4f}")
        print(
            f"{result.n_hits} of the final {result.final_sample_size} samples hit the event; "
            f"{result.n_evaluations} evaluations in all"
        )
    return 0
