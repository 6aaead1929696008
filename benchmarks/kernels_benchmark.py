"""The fused cross-entropy kernels against their peers: the full suite, as a table and JSON.

A thin wrapper over ``crossentropy bench --full`` (engine: :mod:`crossentropy.bench`):
every case runs in a fresh process, warm-up then the median of ``--repeat`` runs (5),
with the extra peak memory of the timed runs and the loss value, and every figure of
ours is shown as a ratio to each peer measured in the same run (``x faster than``):

* softmax cross-entropy, float32 logits 65536x1000, 8192x32000 and 4096x128256,
  forward and forward+backward: ``crossentropy.kernels`` (out of place, ``out=`` a
  reused buffer, ``inplace=True``), ``crossentropy.losses.softmax_cross_entropy``,
  ``crossentropy.torch.cross_entropy`` against torch ``F.cross_entropy`` (2 threads),
  optax under ``jax.jit``, naive NumPy and SciPy ``log_softmax``; forward times also as
  a fraction of the read limit (a parallel sum over a buffer of the logits' size,
  measured in the same run);
* 1000000x10 float64 probabilities: ``losses.categorical_cross_entropy`` and
  ``compat.sklearn.log_loss`` against ``sklearn.metrics.log_loss`` (values must agree
  to ~1e-12) and NumPy;
* linear cross-entropy N=4096, H=1024, V=128256 (N halved until it fits in memory):
  ``crossentropy.torch.linear_cross_entropy`` against naive torch and the three matrix
  products alone.

It takes well over half an hour (a naive linear run is ~20 s; ``--linear-repeat 3``
shortens it). Run: ``.venv/bin/python benchmarks/kernels_benchmark.py [--json]
[--out results.json [--force]] [--repeat N] [--linear-repeat N] [--peers torch,jax]
[--no-linear]``; any option of ``crossentropy bench`` is accepted.
"""

from __future__ import annotations

import sys

from crossentropy.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--full", *sys.argv[1:]]))
