"""Characters per second of the text network (Graves §3): training and sampling.

Training: forward, cross-entropy, backward and an Adam update on a random batch of `--batch-size`
streams x `--bptt` symbols (default 32 x 100), timed over `--steps` after `--warmup` untimed steps;
characters per second is B * bptt / seconds per step. `achieved_gflops` counts the matmuls only,
2*m*n*k each (LSTM input projection and recurrent gates of each layer, the softmax head), times 3
for forward + backward (backward ~ 2 x forward).

Sampling: one stream through `handsynth.sample.text.sample_text`, `--sample-length` symbols one
at a time; characters per second is length / seconds.

The network is `TextConfig`'s defaults (embedding 256, one layer of 1000) with a vocabulary of 50,
randomly initialised. Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

import torch
import torch.nn.functional as F
from bench_common import deep_lstm_flops, emit, linear_flops, log, machine_info, set_threads, timed

from handsynth.data.alphabet import Alphabet
from handsynth.nn.models import TextConfig, TextNetwork
from handsynth.sample.text import sample_text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TextConfig(vocab_size=50)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--vocab-size", type=int, default=50, help="symbols (default: 50)")
    p.add_argument(
        "--embedding-size",
        type=int,
        default=defaults.embedding_size,
        help=f"embedding width (default: {defaults.embedding_size})",
    )
    p.add_argument(
        "--hidden-size",
        type=int,
        default=defaults.hidden_size,
        help=f"LSTM cells per layer (default: {defaults.hidden_size})",
    )
    p.add_argument(
        "--layers",
        type=int,
        default=defaults.num_layers,
        help=f"LSTM layers (default: {defaults.num_layers})",
    )
    p.add_argument("--batch-size", type=int, default=32, help="training streams (default: 32)")
    p.add_argument(
        "--bptt", type=int, default=100, help="symbols per training sequence (default: 100)"
    )
    p.add_argument("--steps", type=int, default=10, help="timed training steps (default: 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default: 2)")
    p.add_argument(
        "--sample-length",
        type=int,
        default=1000,
        help="symbols sampled in one stream (default: 1000)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads; default: leave torch's choice",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, batch and sampling")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long smoke run: embedding 16, hidden 32, batch 4 x 20, "
        "1 warm-up + 2 timed steps, 50 sampled symbols",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.embedding_size, args.hidden_size = 16, 32
        args.batch_size, args.bptt, args.steps, args.warmup = 4, 20, 2, 1
        args.sample_length = 50
    for name in (
        "vocab_size",
        "embedding_size",
        "hidden_size",
        "layers",
        "batch_size",
        "bptt",
        "steps",
        "sample_length",
    ):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be zero or more")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    config = TextConfig(args.vocab_size, args.embedding_size, args.hidden_size, args.layers)
    model = TextNetwork(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, T, V = args.batch_size, args.bptt, args.vocab_size
    tokens = torch.randint(V, (B, T + 1))  # (B, T + 1): inputs and next-symbol targets

    def step() -> None:
        logits, _ = model(tokens[:, :-1])  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(B * T, V), tokens[:, 1:].reshape(B * T))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.train()
    log(f"training: {args.warmup} warm-up + {args.steps} timed steps of {B} x {T}")
    train_seconds = timed(step, args.steps, warmup=args.warmup)
    forward_flops = deep_lstm_flops(B * T, args.embedding_size, args.hidden_size, args.layers)
    forward_flops += linear_flops(B * T, args.layers * args.hidden_size, V)
    step_flops = 3 * forward_flops  # backward ~ 2 x forward

    log(f"{train_seconds:.3f} s/step; sampling {args.sample_length} symbols")
    alphabet = Alphabet(
        [f"s{i}" for i in range(V)]
    )  # word-level style symbols; only the ids matter
    generator = torch.Generator().manual_seed(args.seed)
    sample_text(model, alphabet, length=5, generator=generator)  # warm-up
    start = time.perf_counter()
    sample_text(model, alphabet, length=args.sample_length, generator=generator)
    sample_seconds = time.perf_counter() - start
    emit(
        {
            "benchmark": "text",
            **asdict(config),
            "batch_size": B,
            "bptt": T,
            "steps": args.steps,
            "warmup": args.warmup,
            "sample_length": args.sample_length,
            "quick": args.quick,
            "train_seconds_per_step": train_seconds,
            "train_chars_per_second": B * T / train_seconds,
            "train_gflop_per_step": step_flops / 1e9,
            "train_achieved_gflops": step_flops / train_seconds / 1e9,
            "sample_seconds": sample_seconds,
            "sample_chars_per_second": args.sample_length / sample_seconds,
            **machine_info(),
        }
    )


if __name__ == "__main__":
    main()
