"""How much a written page looks like one hand, beside real pages: one JSON line on stdout.

Scores (`eval.hand.page_score`: the spread of each line's hand features over their spread among
many writers) for the real pages of a prepared validation split (the lines of one IAM-OnDB form
are one writer's page), for pages of the same lengths shuffled together from lines of different
forms, and for a text written by a synthesis model at each seed.

    python scripts/measure_consistency.py --data /tmp/prepared --seeds 1 2 3
    python scripts/measure_consistency.py --data /tmp/prepared --text my-letter.txt --bias 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import handsynth
from handsynth.data.prepare import load_prepared
from handsynth.eval.hand import line_features, page_score, real_pages
from handsynth.options import DEFAULT_BIAS, DEFAULT_CANDIDATES

LETTER = Path(__file__).resolve().parents[1] / "docs" / "letter.txt"


def shuffled_pages(pages: list[list[np.ndarray]], seed: int) -> list[list[np.ndarray]]:
    """Pages as long as the real ones, each line from a different real page."""
    rng = np.random.default_rng(seed)
    shuffled = []
    for page in pages:
        writers = rng.choice(len(pages), size=len(page), replace=len(page) > len(pages))
        shuffled.append([pages[w][rng.integers(len(pages[w]))] for w in writers])
    return shuffled


def percentiles(scores: list[float]) -> dict:
    return {f"p{q}": round(float(np.percentile(scores, q)), 3) for q in (10, 25, 50, 75, 90)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a `handsynth prepare` folder")
    parser.add_argument("--text", type=Path, default=LETTER, help="text to write (docs/letter.txt)")
    parser.add_argument("--model", help="synthesis model file (none: the shipped one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="drawings")
    parser.add_argument("--bias", type=float, default=DEFAULT_BIAS)
    parser.add_argument(
        "--candidates", type=int, default=DEFAULT_CANDIDATES, help="draws a line (default: write's)"
    )
    parser.add_argument("--style", help="prime every line with this style (a number or a file)")
    parser.add_argument("--style-text", help="what the --style file's line reads")
    args = parser.parse_args()

    pages, population = real_pages(*load_prepared(args.data, "valid"))
    real = [page_score(page, population) for page in pages]
    shuffled = [page_score(page, population) for page in shuffled_pages(pages, seed=0)]
    model = handsynth.load_model(args.model, kind="synthesis")
    text = args.text.read_text(encoding="utf-8")
    ours = {}
    for seed in args.seeds:
        page = model.write(
            text,
            bias=args.bias,
            seed=seed,
            candidates=args.candidates,
            style=args.style,
            style_text=args.style_text,
        )
        features = [line_features(o, t) for o, t in zip(page.offsets, page.texts, strict=True)]
        score = page_score([f for f in features if f is not None], population)
        more_consistent_than = float(np.mean(np.array(real) > score))
        ours[seed] = {"score": round(score, 3), "more_consistent_than": more_consistent_than}
    print(
        json.dumps(
            {
                "real_pages": {"pages": len(real), **percentiles(real)},
                "shuffled_pages": percentiles(shuffled),
                "written": {
                    "text": str(args.text),
                    "bias": args.bias,
                    "style": args.style,
                    "seeds": ours,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
