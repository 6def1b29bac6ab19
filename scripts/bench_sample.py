"""Sampling speed of the synthesis network: one line alone (latency) and many lines as one batch.

The network (default 3 x 400, K = 20, 10 window Gaussians, an 82-symbol alphabet) is randomly
initialised, except that the kappa part of the window's linear layer is set so the window advances
exactly 1/25 of a character per step (weights 0, bias log(1/25), eq 51): a line of U characters
then finishes after about 25 * U pen points, as real IAM-OnDB lines do (~1500 for 60 characters),
instead of running to the sampler's step limit. Sampling goes through
`handsynth.sample.synthesis.sample_synthesis` (numpy, `handsynth.sample.stepper`), so its
per-step Python, MDN sampling and stopping test count.

Reported: seconds for one `--chars`-character line and its pen points per second; then `--lines`
lines of the same length written together as one batch: seconds, lines per second and pen points
per second (summed over the lines). One untimed short line warms up first.

`--model shipped` (or a model file) times a real model on a real 58-character sentence instead.
Beside the time per pen step stands its memory-bound floor: a step reads every weight once, so it
cannot beat the packed float32 weight bytes divided by the rate at which this machine reads an
array of that size (measured here, cache-resident as the weights are between steps).

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import math
import string
import time

import numpy as np
import torch
from bench_common import emit, log, machine_info, set_threads
from threadpoolctl import threadpool_limits

import handsynth
from handsynth.data.alphabet import Alphabet
from handsynth.nn.models import SynthesisConfig, SynthesisNetwork
from handsynth.sample.stepper import SynthesisWeights
from handsynth.sample.synthesis import sample_synthesis

STEPS_PER_CHARACTER = 25  # the average pen points per character of IAM-OnDB lines
# 82 symbols, like the alphabet of the IAM-OnDB transcriptions: letters, digits, space, punctuation.
SYMBOLS = string.ascii_letters + string.digits + " " + string.punctuation[:19]
PASSAGE = (
    "A move to stop Mr. Gaitskell from nominating any more Labour life peers is to be made at a "
    "meeting of Labour MPs tomorrow. "
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--hidden-size", type=int, default=400, help="LSTM cells per layer (default: 400)"
    )
    p.add_argument("--layers", type=int, default=3, help="LSTM layers (default: 3)")
    p.add_argument(
        "--lines",
        type=int,
        default=32,
        help="lines sampled together in the batched run (default: 32)",
    )
    p.add_argument("--chars", type=int, default=60, help="characters per line (default: 60)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads; default: leave torch's choice",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the sampling")
    p.add_argument(
        "--model",
        help="'shipped' or a synthesis model file: time it on SENTENCE instead of a random network",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long smoke run: hidden 32, 4 characters, 4 lines",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.hidden_size, args.chars, args.lines = 32, 4, 4
    for name in ("hidden_size", "layers", "lines", "chars"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


SENTENCE = "Summon a session, that we may arraign the absent duke now."  # 58 characters


def read_bandwidth(nbytes: int, repeats: int = 200) -> float:
    """Bytes per second at which one core reads a float32 array of `nbytes`, by the fastest
    reader at hand: a BLAS dot product of the array with itself, on one thread."""
    array = np.ones(max(nbytes // 4, 1), dtype=np.float32)
    with threadpool_limits(limits=1, user_api="blas"):
        array @ array
        start = time.perf_counter()
        for _ in range(repeats):
            array @ array
        seconds = time.perf_counter() - start
    return nbytes * repeats / seconds


def texts(count: int, chars: int) -> list[str]:
    """`count` different `chars`-character slices of a repeated sentence."""
    source = PASSAGE * (1 + (count * 7 + chars) // len(PASSAGE))
    return [source[7 * i : 7 * i + chars] for i in range(count)]


def make_weights(hidden_size: int, layers: int) -> SynthesisWeights:
    """A random synthesis network whose window moves 1/STEPS_PER_CHARACTER characters per step."""
    model = SynthesisNetwork(SynthesisConfig(len(SYMBOLS), hidden_size, layers))
    Kw = model.config.num_window_gaussians
    kappa_rows = slice(2 * Kw, 3 * Kw)  # the linear's output is (alpha_hat, beta_hat, kappa_hat)
    with torch.no_grad():
        model.window.linear.weight[kappa_rows] = 0.0
        model.window.linear.bias[kappa_rows] = math.log(1 / STEPS_PER_CHARACTER)
    return SynthesisWeights.from_network(model)


def timed_sample(weights, alphabet, lines: list[str], rng) -> tuple[float, list[int], int]:
    """Seconds to write `lines` as one batch, pen points of each, and how many finished."""
    start = time.perf_counter()
    sampled = sample_synthesis(weights, alphabet, lines, rng=rng)
    seconds = time.perf_counter() - start
    return seconds, [len(s.offsets) - 1 for s in sampled], sum(s.finished for s in sampled)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if args.model is not None:
        loaded = handsynth.load_model(None if args.model == "shipped" else args.model)
        weights, alphabet = loaded.synthesis_weights, loaded.alphabet
        args.chars, args.hidden_size = len(SENTENCE), weights.hidden_size
        args.layers = len(weights.layers)
        line_texts = [SENTENCE] * args.lines
    else:
        alphabet = Alphabet(SYMBOLS)
        weights = make_weights(args.hidden_size, args.layers)
        line_texts = texts(args.lines, args.chars)
    timed_sample(weights, alphabet, line_texts[:1], rng)  # warm-up
    log(f"one line of {args.chars} characters")
    single_seconds, single_points, single_finished = timed_sample(
        weights, alphabet, line_texts[:1], rng
    )
    log(f"{single_seconds:.2f} s, {single_points[0]} points; now {args.lines} lines batched")
    batch_seconds, batch_points, batch_finished = timed_sample(weights, alphabet, line_texts, rng)
    log(f"{batch_seconds:.2f} s")
    weight_bytes = weights.nbytes
    bandwidth = read_bandwidth(weight_bytes)
    step_seconds = single_seconds / single_points[0]
    floor_seconds = weight_bytes / bandwidth
    emit(
        {
            "benchmark": "sample",
            "hidden_size": args.hidden_size,
            "layers": args.layers,
            "chars": args.chars,
            "lines": args.lines,
            "quick": args.quick,
            "single_seconds_per_line": single_seconds,
            "single_points": single_points[0],
            "single_points_per_second": single_points[0] / single_seconds,
            "single_finished": bool(single_finished),
            "model": args.model or "random",
            "seconds_per_step": step_seconds,
            "weight_bytes": weight_bytes,
            "read_gb_per_second": bandwidth / 1e9,
            "floor_seconds_per_step": floor_seconds,
            "step_over_floor": step_seconds / floor_seconds,
            "batch_seconds": batch_seconds,
            "batch_lines_per_second": args.lines / batch_seconds,
            "batch_points_per_second": sum(batch_points) / batch_seconds,
            "batch_mean_points": sum(batch_points) / args.lines,
            "batch_finished": batch_finished,
            **machine_info(),
        }
    )


if __name__ == "__main__":
    main()
