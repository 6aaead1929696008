"""The losses as generic array-API implementations that never dispatch.

Every loss of :mod:`crossentropy.losses` is implemented here with ``xp.*`` operations
only, beside its gradient. Nothing here imports :mod:`crossentropy.kernels` or
:mod:`crossentropy.losses`: the public layer chooses between these functions and the fused
kernels, and the kernels call these functions (for the rows they leave to the exact path),
so a call can never loop between the two (the layers are checked by import-linter).
"""
