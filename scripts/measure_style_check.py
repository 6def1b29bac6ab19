"""How often the style check (`handsynth/write/style_check.py`) refuses real lines: one JSON line.

Reads every line of a prepared split (raw offsets, as `handsynth prepare` writes them) with the
shipped recogniser, as `check_style_reads` reads a style, and reports at each threshold:

- false_refusals: the share of lines refused with their own text;
- mismatches_passed: the share of lines accepted with another line's text (each line paired with
  `--pairings` random other lines).

    python scripts/measure_style_check.py --data /tmp/prep/raw --split valid
"""

import argparse
import json

import numpy as np

import handsynth
from handsynth.data.prepare import load_prepared
from handsynth.nn.char_errors import compare
from handsynth.write.line_checks import MIN_READ_LETTERS
from handsynth.write.style_check import MAX_ERROR_RATE, read_style

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a folder written by handsynth prepare")
    parser.add_argument("--split", default="valid", help="train or valid (default: valid)")
    parser.add_argument("--pairings", type=int, default=3, help="other texts per line (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="the pairings (default 0)")
    args = parser.parse_args()

    lines, texts, _ = load_prepared(args.data, args.split)
    reader = handsynth.load_model(kind="recogniser").as_line_reader()
    readings = [
        read_style(reader, line, text).reading for line, text in zip(lines, texts, strict=True)
    ]
    judged = [sum(not c.isspace() for c in t) >= MIN_READ_LETTERS for t in texts]

    def rate(reading: str, text: str) -> float:
        return compare(reading, text)[0] / max(len(text), 1)

    own = np.array([rate(r, t) for r, t, j in zip(readings, texts, judged, strict=True) if j])
    rng = np.random.default_rng(args.seed)
    n = len(texts)
    other = []
    for _ in range(args.pairings):
        partner = (np.arange(n) + rng.integers(1, n, size=n)) % n  # never the line itself
        other += [rate(readings[i], texts[j]) for i, j in enumerate(partner) if judged[j]]
    other = np.array(other)
    result = {
        "lines": n,
        "judged": int(own.size),
        "mismatched_pairs": int(other.size),
        "threshold": MAX_ERROR_RATE,
        "own_error_rate_percentiles": dict(
            zip(["50", "90", "99"], np.percentile(own, [50, 90, 99]).round(3).tolist(), strict=True)
        ),
        "at": {
            str(t): {
                "false_refusals": round(float((own > t).mean()), 4),
                "mismatches_passed": round(float((other <= t).mean()), 4),
            }
            for t in THRESHOLDS
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
