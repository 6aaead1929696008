"""The public surface: literal ``__all__`` lists that match what each module defines."""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC_MODULES = [
    "crossentropy",
    "crossentropy.info",
    "crossentropy.losses",
    "crossentropy.compat",
    "crossentropy.compat.torch",
    "crossentropy.compat.keras",
    "crossentropy.compat.sklearn",
    "crossentropy.examples",
    "crossentropy.kernels",
    "crossentropy.torch",
    "crossentropy.method",
    "crossentropy.method.problems",
    "crossentropy.models",
    "crossentropy.scoring",
    "crossentropy.tour",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_unique_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    assert sorted(exported, key=str.lower) == sorted(exported, key=str.lower)
    for attr in exported:
        assert getattr(module, attr) is not None, attr


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
