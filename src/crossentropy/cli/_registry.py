"""The commands of ``crossentropy``: name, module and one-line summary, nothing imported.

Modelled on pip's ``commands_dict``: the top-level parser lists every command from this
table, and only the module of the command that runs is imported (its ``add_parser``
builds the command's own parser). So ``crossentropy --help`` imports no command module
and no NumPy, and adding a command is one line here plus its module.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMANDS", "CommandInfo"]


@dataclass(frozen=True)
class CommandInfo:
    """Where a command lives and what ``crossentropy --help`` says of it.

    Attributes
    ----------
    module
        The module whose ``add_parser(commands, summary)`` registers the command.
    summary
        The one-line help shown in the list of commands.
    """

    module: str
    summary: str


#: Every command, in the order ``crossentropy --help`` lists them.
COMMANDS: dict[str, CommandInfo] = {
    "compute": CommandInfo(
        "crossentropy.cli.compute",
        "information measures of distributions given on the command line",
    ),
    "examples": CommandInfo(
        "crossentropy.cli.examples", "the worked examples from the tutorials, computed exactly"
    ),
    "cem": CommandInfo(
        "crossentropy.cli.cem",
        "the cross-entropy method: rare events and optimisation on known problems",
    ),
    "bench": CommandInfo(
        "crossentropy.cli.bench",
        "benchmark the fused cross-entropy kernels against torch, JAX, NumPy, SciPy",
    ),
    "score": CommandInfo(
        "crossentropy.cli.score",
        "score prediction files: cross-entropy, baselines, calibration, a verdict",
    ),
    "tour": CommandInfo(
        "crossentropy.cli.tour", "a guided tour of the concepts, with tables and figures"
    ),
    "experiment": CommandInfo(
        "crossentropy.cli.experiment", "run the experiments behind the tutorials' claims"
    ),
}
