"""Helpers shared by the benchmark scripts: machine facts, peak matmul rate, FLOP counts, timing.

Imported as `bench_common` by `scripts/bench_*.py` (running a script puts `scripts/` on sys.path).
Every FLOP count is 2*m*n*k per (m, k) x (k, n) matmul; elementwise work (gate nonlinearities, the
mixture activations, the loss) is left out, so the counts are a lower bound on the work done.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the final JSON line."""
    print(message, file=sys.stderr, flush=True)


def set_threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise SystemExit("--threads must be at least 1")
        torch.set_num_threads(threads)


def cpu_model() -> str:
    """The "model name" line of /proc/cpuinfo, or platform.processor() where there is none."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict:
    return {
        "torch_version": torch.__version__,
        "num_threads": torch.get_num_threads(),
        "cpu_model": cpu_model(),
    }


def timed(fn: Callable[[], object], repeats: int, warmup: int = 0) -> float:
    """Mean wall-clock seconds of `fn()` over `repeats` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def peak_matmul_gflops(size: int = 2048, repeats: int = 10, dtype=torch.float32) -> float:
    """Measured `torch.mm` rate of two (size, size) matrices of `dtype`, in GFLOP/s."""
    a = torch.randn(size, size, dtype=dtype)
    b = torch.randn(size, size, dtype=dtype)
    seconds = timed(lambda: torch.mm(a, b), repeats, warmup=1)
    return 2 * size**3 / seconds / 1e9


def linear_flops(rows: int, in_features: int, out_features: int) -> int:
    """Forward FLOPs of a linear map applied to `rows` vectors."""
    return 2 * rows * in_features * out_features


def deep_lstm_flops(
    tokens: int, input_size: int, hidden_size: int, num_layers: int, context_size: int = 0
) -> int:
    """Forward gate-matmul FLOPs of `handsynth.nn.backbone.DeepLSTM` over `tokens` = B * T steps.

    Layer 1 reads input + context; each later layer also reads the layer below (skip connections).
    Each layer does an input projection (I_n -> 4H) and a recurrent one (H -> 4H) per step.
    """
    total = 0
    for n in range(num_layers):
        layer_input = input_size + context_size + (hidden_size if n > 0 else 0)
        total += linear_flops(tokens, layer_input, 4 * hidden_size)
        total += linear_flops(tokens, hidden_size, 4 * hidden_size)
    return total


def emit(result: dict) -> None:
    """Print the result as the one JSON line on stdout."""
    print(json.dumps(result, sort_keys=True), flush=True)
