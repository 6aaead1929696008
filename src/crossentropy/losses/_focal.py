"""Placeholder: being written."""


def binary_focal_loss(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError

def binary_focal_loss_with_logits(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError

def categorical_focal_loss(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError

def softmax_focal_loss(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError
