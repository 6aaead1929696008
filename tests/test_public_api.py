"""The public surface: literal ``__all__`` lists that match what each module defines."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

PUBLIC_MODULES = [
    "crossentropy",
    "crossentropy.info",
    "crossentropy.losses",
    "crossentropy.compat",
    "crossentropy.compat.torch",
    "crossentropy.compat.keras",
    "crossentropy.compat.sklearn",
    "crossentropy.bench",
    "crossentropy.examples",
    "crossentropy.kernels",
    "crossentropy.torch",
    "crossentropy.method",
    "crossentropy.method.problems",
    "crossentropy.models",
    "crossentropy.scoring",
    "crossentropy.tour",
]


def _isort_style(name: str) -> tuple[int, str]:
    """The order of ruff's RUF022: dunders, CONSTANTS, Classes, then the rest, each A-Z."""
    if name.startswith("__"):
        return (0, name)
    if name.isupper():
        return (1, name)
    if name[:1].isupper():
        return (2, name)
    return (3, name)


def _literal_all(module: object) -> list[str]:
    """``__all__`` as written in the module's source: it must be one literal list."""
    source = Path(inspect.getfile(module)).read_text(encoding="utf-8")  # type: ignore[arg-type]
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list), "__all__ must be a literal list"
            return value
    msg = "no literal __all__ assignment"
    raise AssertionError(msg)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_unique_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert _literal_all(module) == list(exported), "__all__ is changed after its literal"
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    assert list(exported) == sorted(exported, key=_isort_style), "__all__ is not sorted"
    for attr in exported:
        assert getattr(module, attr) is not None, attr


def test_sort_check_can_fail() -> None:
    assert sorted(["b", "A", "Cls", "__x__"], key=_isort_style) == ["__x__", "A", "Cls", "b"]
    assert sorted(["b", "a"], key=_isort_style) != ["b", "a"]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_callable_is_exported_and_documented(name: str) -> None:
    module = importlib.import_module(name)
    if name == "crossentropy":
        return  # lazy re-exports; checked below
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", "").startswith("crossentropy")
    }
    missing = public - set(module.__all__)
    assert not missing, f"{name} defines public names missing from __all__: {missing}"
    for attr in module.__all__:
        value = getattr(module, attr)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name}.{attr} has no docstring"


def test_top_level_reexports_info() -> None:
    import crossentropy
    import crossentropy.info

    for attr in crossentropy.info.__all__:
        assert getattr(crossentropy, attr) is getattr(crossentropy.info, attr)
    assert set(crossentropy.info.__all__) <= set(crossentropy.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        _ = crossentropy.nonexistent


def test_losses_with_gradients_are_registered() -> None:
    from crossentropy import losses

    loss_names = [n for n in losses.__all__ if n.endswith(("_entropy", "_logits", "_loss"))]
    assert len(loss_names) >= 8
    for attr in loss_names:
        assert callable(losses.value_and_grad(getattr(losses, attr)))
    with pytest.raises(ValueError, match="no analytic gradient is registered for softmax"):
        losses.value_and_grad(losses.softmax)
