"""Make the shipped style set: lines the shipped synthesis model writes itself, one per seed.

Priming with one of these makes the model continue in that line's hand. They are the model's own
samples, so no IAM-OnDB strokes are redistributed. Reproducible: the same model and seeds give the
same file.

    python scripts/make_styles.py --model handsynth/weights/synthesis.safetensors \
        --out handsynth/weights/styles.npz --seeds 1 2 3 4 5
"""

import argparse
from pathlib import Path

import numpy as np

import handsynth
from handsynth.atomic import write_atomically

STYLE_TEXT = "a quick brown fox"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="synthesis model file")
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5], help="one style each"
    )
    parser.add_argument("--bias", type=float, default=0.75, help="neatness of the style lines")
    args = parser.parse_args()

    model = handsynth.load_model(args.model, kind="synthesis")
    lines = []
    for seed in args.seeds:
        written = model.write(STYLE_TEXT, bias=args.bias, seed=seed, wrap=0)
        lines.append(model.normalisation.normalise(written.offsets[0]))
    starts = np.concatenate([[0], np.cumsum([len(line) for line in lines])])
    arrays = {
        "offsets": np.concatenate(lines).astype(np.float32),
        "starts": starts.astype(np.int64),
        "texts": np.array([STYLE_TEXT] * len(lines)),
        "seeds": np.array(args.seeds, dtype=np.int64),
    }
    write_atomically(args.out, lambda f: np.savez(f, **arrays))
    print(f"wrote {len(lines)} styles to {args.out}")


if __name__ == "__main__":
    main()
