"""Running ``crossentropy cem``: executors, the iteration tables and the reports.

The problem-specific parts (which problem, how to show its answer) come from the
handlers in ``_optimize`` and ``_rare_event``; this module runs the library on them and
prints. Progress and the Dask client are the ones every command shares
(:mod:`crossentropy.cli._common`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import Progress, UsageError, dask_client, print_json

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
    "OptimizationRun",
    "estimate",
    "format_number",
    "format_vector",
    "optimize",
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


def format_number(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits; ``inf`` and ``nan`` as words."""
    return f"{value:.{digits}g}" if math.isfinite(value) else str(value)


def format_vector(values: Any, digits: int = 4, limit: int = 10) -> str:
    """``(v1, v2, ...)``, at most ``limit`` entries."""
    items = [format_number(float(v), digits) for v in list(values)[:limit]]
    more = ", ..." if len(values) > limit else ""
    return f"({', '.join(items)}{more})"


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
    with dask_client(args.dask) as client:
        slots = max(1, sum(client.nthreads().values()))
        # pure=False: the tasks must run as given, never merged with look-alike calls
        executor = client.get_executor(pure=False)
        yield executor, slots, f"Dask at {args.dask} ({slots} threads)"


class _ChunkedObjective:
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


@dataclasses.dataclass(frozen=True)
class OptimizationRun:
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
        The defaults of ``--sample-size`` and ``--rho`` (the problem's own, see
        :meth:`of`).
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

    @classmethod
    def of(
        cls,
        problem: Any,
        answer: Callable[[Any], tuple[list[str], dict[str, Any]]],
        *,
        task: Callable[[], Batch] | None = None,
        score: Callable[[Any], float] | None = None,
        stall_iterations: int | None = 5,
    ) -> OptimizationRun:
        """The run of ``problem`` from its own ``initial_family()``, sample size and rho.

        ``task`` defaults to evaluating with ``problem.evaluate``.
        """
        return cls(
            problem,
            problem.initial_family(),
            task if task is not None else (lambda: problem.evaluate),
            problem.default_sample_size,
            problem.default_rho,
            answer,
            score=score,
            stall_iterations=stall_iterations,
        )


#: The most values one sample may hold (candidates x entries each): 2e8, 1.6 GB of float64.
MAX_SAMPLE_VALUES = 2 * 10**8


def _check_sample_memory(args: argparse.Namespace, run: OptimizationRun) -> None:
    """Refuse, before any work, a sample that cannot fit in memory (the default's too)."""
    import numpy as np

    size = args.sample_size or run.sample_size
    entries = math.prod(np.shape(run.family.sample(np.random.default_rng(0), 1))[1:])
    if size * entries > MAX_SAMPLE_VALUES:
        given = "--sample-size" if args.sample_size else "the default --sample-size"
        msg = (
            f"{given} {size} with candidates of {entries} entries needs {size * entries:.3g} "
            f"values at once (at most {MAX_SAMPLE_VALUES:.0e}): give a smaller --sample-size "
            "or a smaller instance"
        )
        raise UsageError(msg)


def optimize(
    args: argparse.Namespace,
    run: OptimizationRun,
    seed: int,
    rng: np.random.Generator | None = None,
) -> int:
    """Run ``minimize``/``maximize`` on ``run`` with the options of ``args``; print."""
    from crossentropy.method import maximize, minimize

    problem = run.problem
    _check_sample_memory(args, run)
    options: dict[str, Any] = {
        "sample_size": args.sample_size or run.sample_size,
        "rho": run.rho if args.rho is None else args.rho,
        "alpha": 0.7 if args.alpha is None else args.alpha,
        "max_iterations": args.max_iterations,
        "stall_iterations": run.stall_iterations,
        "restarts": args.restarts,
    }
    columns: list[str] = []
    with _executor(args) as (executor, n_tasks, where), Progress("starting") as progress:
        if not args.json:
            print(problem.describe())
            print(
                f"cross-entropy method, {type(run.family).__name__} family: "
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
                values = [format_number(log.elite_level), format_number(log.best_so_far)]
                values += [format_number(v, 4) for v in log.summary.values()]
                print(_row(columns, [str(log.iteration), *values]), flush=True)
            level, best = format_number(log.elite_level), format_number(log.best_so_far)
            progress.update(
                f"{problem.name}: t = {log.iteration}, elite level {level}, best so far {best}"
            )

        method = maximize if problem.sense == "maximize" else minimize
        result: OptimizeResult[Any] = method(
            _ChunkedObjective(run.task, executor, n_tasks),
            run.family,
            vectorized=True,
            rng=seed if rng is None else rng,
            callback=on_iteration,
            **options,
        )
    options = {"seed": seed, **options, "workers": args.workers, "dask": args.dask}
    _report(args, run, result, options)
    return 0


def _report(
    args: argparse.Namespace,
    run: OptimizationRun,
    result: OptimizeResult[Any],
    options: dict[str, Any],
) -> None:
    problem = run.problem
    optimum = problem.optimum
    judged = result.best_value if run.score is None else run.score(result.best)
    gap = None
    if optimum is not None:
        gap = optimum - judged if problem.sense == "maximize" else judged - optimum
    lines, fields = run.answer(result.best)
    if args.json:
        print_json(
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
    print(f"best value {format_number(result.best_value, 10)}")
    for line in lines:
        print(line)
    if optimum is None or gap is None:
        print("known optimum: none given")
    elif abs(gap) <= 1e-9 * max(1.0, abs(optimum)):
        print(f"known optimum {format_number(optimum, 10)}: found")
    else:
        relative = f" ({gap / abs(optimum):.2%})" if optimum else ""
        print(f"known optimum {format_number(optimum, 10)}: gap {format_number(gap)}{relative}")


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
    with _executor(args) as (executor, _slots, where), Progress("starting") as progress:
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
        print_json(payload)
    else:
        columns = ["t", "gamma_t", "elites", *levels[0].summary]
        print(_row(columns, columns))
        for level in levels:
            summary = (format_number(v, 4) for v in level.summary.values())
            print(
                _row(
                    columns,
                    [str(level.level), format_number(level.gamma), str(level.n_elites), *summary],
                )
            )
    if result is None:
        raise NoAnswerError(failure)
    if not args.json:
        proposal = _parameters(result.proposal).items()
        low, high = result.confidence_interval
        print(f"final proposal: {', '.join(f'{k} = {format_vector(v)}' for k, v in proposal)}")
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
