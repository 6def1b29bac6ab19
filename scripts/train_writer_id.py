"""Train the writer encoder that `scripts/eval_writer_id.py` identifies hands with.

Each training form (one writer's page) is a class; the encoder is written to --out after each
validation (top-1 among the validation split's forms, `eval.writer_id.validation_top1`, which is
only reported) and at the end. The training
state goes to --out with `.state.pt` added, every 100 steps and when training stops (time limit,
Ctrl-C); running the same command again resumes from it.

    OMP_NUM_THREADS=1 python scripts/train_writer_id.py --data /tmp/prep/smooth \
        --also /tmp/prep/raw --out handsynth/weights/writer_id.safetensors --seed 0 --minutes 12
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import torch

from handsynth.data.line_pairs import form_of
from handsynth.data.prepare import load_prepared
from handsynth.eval.writer_id import validation_top1
from handsynth.nn.writer_encoder import WriterEncoderConfig
from handsynth.train.writer_id import WriterTrainOptions, train_writer_encoder

HELP = {
    "steps": "optimizer steps; the learning-rate schedule spans them",
    "batch_size": "lines per step",
    "window": "consecutive pen steps of each line per step",
    "lr": "peak learning rate (AdamW)",
    "seed": "seed of the initial weights and of every batch",
    "validate_every": "steps between validations, each reported and followed by writing --out",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="prepared data folder (train and valid)")
    parser.add_argument(
        "--also", help="the same lines prepared otherwise (e.g. unsmoothed), drawn from at random"
    )
    parser.add_argument("--out", required=True, help="the encoder's .safetensors file")
    parser.add_argument("--minutes", type=float, help="stop (and save) after this long")
    parser.add_argument(
        "--channels",
        type=lambda text: tuple(int(c) for c in text.split(",")),
        default=WriterEncoderConfig.channels,
        help="channels of each conv layer, comma-separated (each after the first halves the rate)",
    )
    defaults = WriterTrainOptions()
    for field in fields(WriterTrainOptions):
        if field.name in HELP:
            flag = "--" + field.name.replace("_", "-")
            value = getattr(defaults, field.name)
            parser.add_argument(flag, type=type(value), default=value, help=HELP[field.name])
    args = parser.parse_args()
    torch.set_num_threads(1)
    options = WriterTrainOptions(**{k: getattr(args, k) for k in HELP})
    lines, _, line_ids = load_prepared(args.data, "train")
    also = load_prepared(args.also, "train") if args.also else None
    if also and also[2] != line_ids:
        parser.error("--also must hold the same training lines as --data")
    sources = [lines] + ([also[0]] if also else [])
    valid_lines, _, valid_ids = load_prepared(args.data, "valid")
    print(f"{len(lines)} training lines of {len(set(map(form_of, line_ids)))} forms", flush=True)
    train_writer_encoder(
        sources,
        [form_of(i) for i in line_ids],
        args.out,
        Path(str(args.out) + ".state.pt"),
        options,
        WriterEncoderConfig(channels=args.channels),
        validate=lambda encoder: validation_top1(encoder, valid_lines, valid_ids),
        seconds=None if args.minutes is None else 60 * args.minutes,
        log=lambda message: print(message, flush=True),
    )


if __name__ == "__main__":
    main()
