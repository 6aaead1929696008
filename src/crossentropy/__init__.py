"""crossentropy: information measures, cross-entropy losses with exact gradients.

``import crossentropy`` is light: the public names are loaded on first use, so the
command line (``crossentropy --help``) starts without importing NumPy.

Examples
--------
>>> import crossentropy as ce
>>> round(float(ce.cross_entropy([0, 1, 0], [0.4, 0.4, 0.2])), 2)  # target dog, 0.4 for dog
0.92
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crossentropy._version import __version__

if TYPE_CHECKING:
    from crossentropy.info import (
        conditional_entropy,
        cross_entropy,
        entropy,
        information,
        js_distance,
        js_divergence,
        kl_divergence,
        mutual_information,
        perplexity,
    )

__all__ = [
    "__version__",
    "compat",
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "info",
    "information",
    "js_distance",
    "js_divergence",
    "kernels",
    "kl_divergence",
    "losses",
    "method",
    "models",
    "mutual_information",
    "perplexity",
    "scoring",
    "tour",
]

# "torch" loads on attribute access but stays out of __all__: `from crossentropy import *`
# must not import PyTorch (nor fail without it).
_SUBMODULES = frozenset(
    {"compat", "info", "kernels", "losses", "method", "models", "scoring", "torch", "tour"}
)
_INFO_NAMES = frozenset(
    {
        "conditional_entropy",
        "cross_entropy",
        "entropy",
        "information",
        "js_distance",
        "js_divergence",
        "kl_divergence",
        "mutual_information",
        "perplexity",
    }
)


def __getattr__(name: str) -> Any:
    """Load public names on first use (PEP 562) to keep ``import crossentropy`` light."""
    if name in _SUBMODULES:
        module = importlib.import_module(f"crossentropy.{name}")
        globals()[name] = module
        return module
    if name in _INFO_NAMES:
        value = getattr(importlib.import_module("crossentropy.info"), name)
        globals()[name] = value
        return value
    msg = f"module 'crossentropy' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
