"""Writer identification of written handwriting (`handsynth.eval.writer_id`): top-1 among --forms
held-out forms for the forms' own real lines (the ceiling), unprimed lines (chance) and lines
primed with one of a form's reference lines, and lines written by the model adapted to the form's
reference lines (`SynthesisModel.adapted`) and primed, for each of --seeds; one JSON line on stdout.

    OMP_NUM_THREADS=1 python scripts/eval_writer_id.py --data /tmp/prep/smooth --seeds 0,1,2

New texts are training-split lines of 30-50 characters that no held-out line has (or --texts, one a
line). --model evaluates another synthesis model (a fine-tuned one) the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from handsynth.data.prepare import load_prepared
from handsynth.eval.writer_id import EvalOptions, evaluate, pick_forms, synthesis_writer
from handsynth.loaded import load_model
from handsynth.nn.weights import weights_folder
from handsynth.nn.writer_encoder import load_encoder
from handsynth.options import DEFAULT_CANDIDATES, WriteOptions

MODES = ("unprimed", "primed", "adapted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="prepared data folder (its valid split)")
    parser.add_argument(
        "--encoder",
        default=str(weights_folder() / "writer_id.safetensors"),
        help="writer encoder (default: the shipped one)",
    )
    parser.add_argument("--model", help="synthesis model file (default: the shipped one)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated writers, of {', '.join(MODES)}"
    )
    parser.add_argument("--texts", help="file of new texts to write, one a line")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (forms, texts, ink)")
    parser.add_argument("--bias", type=float, default=WriteOptions.bias, help="writing bias")
    parser.add_argument(
        "--candidates",
        type=int,
        default=DEFAULT_CANDIDATES,
        help="draws of each line, of which the recogniser keeps the best, as write draws them",
    )
    defaults = EvalOptions()
    parser.add_argument("--forms", type=int, default=defaults.forms, help="forms to choose among")
    parser.add_argument("--k", type=int, default=defaults.k, help="reference lines per form")
    parser.add_argument(
        "--texts-per-form", type=int, default=defaults.texts_per_form, help="lines written a form"
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    if not set(modes) <= set(MODES):
        parser.error(f"--modes takes {', '.join(MODES)}")
    torch.set_num_threads(1)
    encoder, notes = load_encoder(args.encoder)
    lines, texts, line_ids = load_prepared(args.data, "valid")
    if args.texts:
        pool = [t.strip() for t in Path(args.texts).read_text().splitlines() if t.strip()]
    else:
        train_texts = load_prepared(args.data, "train")[1]
        pool = sorted({t for t in train_texts if 30 <= len(t) <= 50} - set(texts))
    model = load_model(args.model, kind="synthesis")
    runs = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        options = EvalOptions(args.forms, args.k, args.texts_per_form, seed=seed)
        write = WriteOptions(bias=args.bias, seed=seed, wrap=0, candidates=args.candidates)
        writers = {
            mode: synthesis_writer(model, mode == "primed", write, adapted=mode == "adapted")
            for mode in modes
        }
        started = time.monotonic()
        picked = pick_forms(line_ids, pool, options)
        runs[seed] = {
            k: round(v, 4)
            for k, v in evaluate(encoder, lines, texts, picked, writers, model.line_reader).items()
        }
        took = time.monotonic() - started
        print(f"seed {seed}: {json.dumps(runs[seed])} ({took:.0f}s)", file=sys.stderr, flush=True)
    names = ["ceiling", *modes, "ceiling_cer", *(f"{mode}_cer" for mode in modes)]
    names += [f"{mode}_{kind}" for mode in modes for kind in ("seen", "unseen")]
    summary = {
        "forms": args.forms,
        "k": args.k,
        "texts_per_form": args.texts_per_form,
        "chance": 1 / args.forms,
        "bias": args.bias,
        "candidates": args.candidates,
        "seeds": list(runs),
        **{name: round(float(np.mean([r[name] for r in runs.values()])), 4) for name in names},
        "per_seed": runs,
        "encoder_step": notes.get("step"),
        "model": str(model.path),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
