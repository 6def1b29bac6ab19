"""The knobs of a training run, one field per `handsynth train` flag, with their defaults: the
command line builds its flags from these. No torch here, so the command line reads them while it
parses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handsynth.options import DEFAULT_BPTT

# Each optimizer's usual rate: the paper's 1e-4 for Graves's RMSProp; Adam likes about 1e-3.
LEARNING_RATES = {"rmsprop": 1e-4, "adam": 1e-3}


@dataclass
class TrainConfig:
    out_dir: str  # folder for last.pt, best.pt and log.jsonl
    optimizer: str = "rmsprop"  # "rmsprop" (Graves's variant, eqs 38-41) or "adam"
    learning_rate: float = LEARNING_RATES["rmsprop"]  # see LEARNING_RATES
    batch_size: int = 32  # sequences (handwriting) or parallel streams (text) per step
    epochs: int = 30  # passes over the training data
    max_steps: int | None = None  # stop after this many optimizer steps in all (smoke runs)
    output_clip: float | None = 100.0  # bound on derivatives at the network output (Graves §4.2)
    lstm_clip: float | None = 10.0  # bound on derivatives at each LSTM layer's output
    checkpoint_every: int = 50  # steps between writes of last.pt (a kill loses at most these)
    seed: int = 0  # initial weights and batch order
    max_bad_steps: int = 20  # consecutive non-finite losses or gradients before giving up
    sample_every: int = 500  # text: steps between printed samples (0: never)
    device: str = "cpu"  # "cpu" or "cuda"
    progress: bool = True  # show a progress bar
    model: dict = field(default_factory=dict)  # architecture overrides (hidden_size, ...)
    init_from: str | None = None  # model file whose weights start a fresh run (not a resume)
    bf16: bool = False  # LSTM products in bfloat16 (autocast); window, head, loss in float32
    bptt: int = DEFAULT_BPTT  # text: symbols per truncated-backprop window, kept for evaluation
    patience: int | None = None  # stop after this many epochs without a better validation metric
    plateau_decay: float | None = None  # multiply the rate by this after an epoch without a better
    # validation metric (None: the rate stays)
    time_limit: float | None = None  # seconds this run may train before it saves last.pt and stops
    max_repeats: int = 1  # handwriting: lines with rare characters up to this many times an epoch
    rare_weighting: str = "per-character"  # how those repeats are counted (RARE_WEIGHTINGS)
    joined_lines: bool = False  # synthesis: also train on consecutive lines of a form joined
    augment: bool = False  # recogniser: train on randomly rescaled, stretched and slanted lines
    splice: str | None = None  # recogniser: a bank of cut characters to write after half the lines
