"""Vocab-parallel linear cross-entropy on 2 and 3 CPU processes (gloo) against one process.

The test starts the ranks itself (``tests/distributed_worker.py``, one process each,
rendezvous over TCP on localhost), bounded by a timeout; each rank compares its loss,
log-sum-exp, hidden gradient and weight/bias shard gradients with the single-process
``linear_cross_entropy`` on the concatenated weight: uneven shards, ignored rows, label
smoothing, z-loss, soft cap, class weights, a small memory budget (many tiles), and
labels all on rank 0 (the other shards hold none).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
import torch.distributed as dist

WORKER = Path(__file__).with_name("distributed_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")
@pytest.mark.parametrize("world", [2, 3])
def test_vocab_parallel_equals_one_process(world: int, tmp_path: Path) -> None:
    port = str(_free_port())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(rank), str(world), port, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for rank in range(world)
    ]
    try:
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    for rank in range(world):
        result = json.loads((tmp_path / f"rank-{rank}.json").read_text())
        assert len(result["errors"]) == 20
        for item in result["errors"]:
            limit = 1e-12 if item["dtype"] == "torch.float64" else 1e-5
            assert item["error"] <= limit, (rank, item)


def test_without_a_process_group_the_error_says_what_to_do() -> None:
    import torch

    from crossentropy.torch.distributed import vocab_parallel_linear_cross_entropy

    if dist.is_initialized():  # pragma: no cover - never in this suite
        pytest.skip("a process group is initialised")
    with pytest.raises(RuntimeError, match=r"needs torch.distributed initialised"):
        vocab_parallel_linear_cross_entropy(
            torch.ones(2, 3), torch.ones(4, 3), torch.zeros(2).long()
        )
