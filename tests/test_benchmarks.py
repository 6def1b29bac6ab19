"""Smoke tests of scripts/bench_*.py: each `--quick` run prints one JSON line, positive numbers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from handsynth.train.precision import bf16_supported

# Each run starts a fresh interpreter and imports torch; measured 10-20 s per run on a busy 2-core
# machine, hence slow.
pytestmark = pytest.mark.slow

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
MACHINE_KEYS = ["num_threads", "torch_version", "cpu_model"]

CASES = {
    "train-synthesis": (
        ["bench_train.py", "--quick", *(["--bf16"] if bf16_supported("cpu") else [])],
        [
            "points_per_second",
            "seconds_per_step",
            "gflop_per_step",
            "achieved_gflops",
            "peak_matmul_gflops",
            "fraction_of_peak",
        ],
    ),
    "train-prediction": (
        ["bench_train.py", "--quick", "--model", "prediction"],
        ["points_per_second", "seconds_per_step", "achieved_gflops", "fraction_of_peak"],
    ),
    "sample": (
        ["bench_sample.py", "--quick"],
        [
            "single_seconds_per_line",
            "single_points",
            "single_points_per_second",
            "batch_seconds",
            "batch_lines_per_second",
            "batch_points_per_second",
            "seconds_per_step",
            "weight_bytes",
            "read_gb_per_second",
            "floor_seconds_per_step",
            "step_over_floor",
        ],
    ),
    "text": (
        ["bench_text.py", "--quick"],
        [
            "train_seconds_per_step",
            "train_chars_per_second",
            "train_achieved_gflops",
            "sample_seconds",
            "sample_chars_per_second",
        ],
    ),
}


def run_script(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # progress goes to stderr, only the result to stdout
    return json.loads(lines[0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_quick_run_prints_one_json_line(case):
    args, keys = CASES[case]
    result = run_script(args)
    assert result["quick"] is True
    for key in keys:
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    assert result["num_threads"] >= 1
    for key in MACHINE_KEYS:
        assert result[key], key
    if case == "sample":  # the kappa bias makes lines finish at ~25 points per character
        assert result["single_finished"] and result["batch_finished"] == result["lines"]
        assert 20 * result["chars"] <= result["single_points"] <= 30 * (result["chars"] + 1)


@pytest.mark.skipif(bf16_supported("cpu"), reason="this CPU runs bfloat16 LSTMs")
def test_bf16_benchmark_refused_with_a_message_where_unsupported():
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench_train.py"), "--quick", "--bf16"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--bf16: this CPU cannot run bfloat16" in done.stderr
    assert "Traceback" not in done.stderr
