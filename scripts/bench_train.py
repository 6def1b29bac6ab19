"""Training throughput of the synthesis (or prediction) network on this machine's CPU.

One step is forward, `mdn.nll`, backward and an Adam update on a random batch (speed does not
depend on the values), with the paper's derivative clips on (100 at the output, 10 at each LSTM
layer) as in training. Defaults: 3 x 400 LSTM, K = 20 mixtures, 10 window Gaussians, alphabet
of 82, batch 32 of 620 pen points (the IAM-OnDB median line) and 30 characters. After `--warmup`
untimed steps, the mean over `--steps` gives seconds per step and pen points per second
(B * T / seconds per step).

Achieved GFLOP/s comes from an analytic count of matmul FLOPs, 2*m*n*k each, over the forward pass:
every LSTM layer's gate matmuls (input projection I_n -> 4H and recurrent H -> 4H per step, I_n
including the skip inputs), the window linear (H -> 3 * Gaussians) and the window read
(phi (1, U) x one-hot (U, A) per step), and the mixture density head (N * H -> 1 + 6K). Backward
costs about twice the forward, so a step counts as 3 x forward. Elementwise work is not counted,
so this is a lower bound. `fraction_of_peak` divides it by the measured float32 `torch.mm` rate of
two 2048 x 2048 matrices on the same threads (bfloat16 with `--bf16`); a small value means the step
is bound by per-step overheads (the synthesis network steps layer 1 and the window one pen point at
a time), not FLOPs.

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse

import torch
from bench_common import (
    deep_lstm_flops,
    emit,
    linear_flops,
    log,
    machine_info,
    peak_matmul_gflops,
    set_threads,
    timed,
)

from handsynth.nn import mdn
from handsynth.nn.models import (
    PEN_INPUT_SIZE,
    PredictionConfig,
    PredictionNetwork,
    SynthesisConfig,
    SynthesisNetwork,
)
from handsynth.train.precision import bf16_supported


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--model",
        choices=["synthesis", "prediction"],
        default="synthesis",
        help="network to train (default: synthesis)",
    )
    p.add_argument("--batch-size", type=int, default=32, help="sequences per batch (default: 32)")
    p.add_argument(
        "--points",
        type=int,
        default=620,
        help="pen points per sequence, T (default: 620, the IAM-OnDB median)",
    )
    p.add_argument(
        "--chars",
        type=int,
        default=30,
        help="characters per sequence, U; synthesis only (default: 30)",
    )
    p.add_argument(
        "--alphabet-size",
        type=int,
        default=82,
        help="alphabet size A; synthesis only (default: 82)",
    )
    p.add_argument(
        "--hidden-size", type=int, default=400, help="LSTM cells per layer (default: 400)"
    )
    p.add_argument("--layers", type=int, default=3, help="LSTM layers (default: 3)")
    p.add_argument("--mixtures", type=int, default=20, help="mixture components K (default: 20)")
    p.add_argument(
        "--window-gaussians",
        type=int,
        default=10,
        help="window Gaussians; synthesis only (default: 10)",
    )
    p.add_argument("--steps", type=int, default=10, help="timed training steps (default: 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default: 2)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads; default: leave torch's choice",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights and batch")
    p.add_argument(
        "--bf16",
        action="store_true",
        help="LSTM matmuls in bfloat16 under autocast, as `handsynth train --bf16`",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long smoke run: batch 4, 20 points, 8 chars, hidden 32, "
        "1 warm-up and 2 timed steps, a 512 x 512 peak matmul",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.batch_size, args.points, args.chars, args.hidden_size = 4, 20, 8, 32
        args.steps, args.warmup = 2, 1
    for name in (
        "batch_size",
        "points",
        "chars",
        "alphabet_size",
        "hidden_size",
        "layers",
        "mixtures",
        "window_gaussians",
        "steps",
    ):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be zero or more")
    if args.bf16 and not bf16_supported("cpu"):
        p.error("--bf16: this CPU cannot run bfloat16 LSTM products (needs AVX512-BF16 or AMX)")
    return args


def forward_flops(args: argparse.Namespace) -> int:
    """Matmul FLOPs of one forward pass over the batch (see the module docstring)."""
    tokens = args.batch_size * args.points
    H, N = args.hidden_size, args.layers
    head = linear_flops(tokens, N * H, 1 + 6 * args.mixtures)
    if args.model == "prediction":
        return deep_lstm_flops(tokens, PEN_INPUT_SIZE, H, N) + head
    backbone = deep_lstm_flops(tokens, PEN_INPUT_SIZE, H, N, context_size=args.alphabet_size)
    window_linear = linear_flops(tokens, H, 3 * args.window_gaussians)
    window_read = 2 * tokens * args.chars * args.alphabet_size
    return backbone + window_linear + window_read + head


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    B, T, U = args.batch_size, args.points, args.chars
    if args.model == "synthesis":
        model = SynthesisNetwork(
            SynthesisConfig(
                args.alphabet_size,
                args.hidden_size,
                args.layers,
                args.mixtures,
                args.window_gaussians,
            )
        )
    else:
        model = PredictionNetwork(PredictionConfig(args.hidden_size, args.layers, args.mixtures))
    model.output_clip, model.lstm_clip = 100.0, 10.0  # as in training (Graves §4.2)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    x = torch.randn(B, T + 1, PEN_INPUT_SIZE)  # (B, T + 1, 3); column 2 becomes end-of-stroke
    x[..., 2] = (torch.rand(B, T + 1) < 0.05).float()
    inputs, target = x[:, :-1], x[:, 1:]  # each step predicts the next offset
    mask = torch.ones(B, T, dtype=torch.bool)
    chars = torch.randint(args.alphabet_size, (B, U))
    char_mask = torch.ones(B, U, dtype=torch.bool)

    def step() -> None:
        with torch.autocast("cpu", torch.bfloat16, enabled=args.bf16):
            if args.model == "synthesis":
                params, _ = model(inputs, chars, char_mask)
            else:
                params, _ = model(inputs)
        loss = mdn.nll(params, target, mask).sum() / mask.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    log(f"{args.model}: {args.warmup} warm-up + {args.steps} timed steps of {B} x {T} points")
    seconds = timed(step, args.steps, warmup=args.warmup)
    log(f"{seconds:.3f} s/step; measuring the peak matmul rate")
    peak_size, peak_repeats = (512, 3) if args.quick else (2048, 10)
    peak_dtype = torch.bfloat16 if args.bf16 else torch.float32
    peak = peak_matmul_gflops(peak_size, peak_repeats, peak_dtype)
    step_flops = 3 * forward_flops(args)  # backward ~ 2 x forward
    achieved = step_flops / seconds / 1e9
    emit(
        {
            "benchmark": "train",
            "model": args.model,
            "batch_size": B,
            "points": T,
            "chars": U if args.model == "synthesis" else None,
            "hidden_size": args.hidden_size,
            "layers": args.layers,
            "steps": args.steps,
            "warmup": args.warmup,
            "quick": args.quick,
            "bf16": args.bf16,
            "seconds_per_step": seconds,
            "points_per_second": B * T / seconds,
            "gflop_per_step": step_flops / 1e9,
            "achieved_gflops": achieved,
            "peak_matmul_gflops": peak,
            "peak_matmul_size": peak_size,
            "peak_matmul_dtype": str(peak_dtype).removeprefix("torch."),
            "fraction_of_peak": achieved / peak,
            **machine_info(),
        }
    )


if __name__ == "__main__":
    main()
