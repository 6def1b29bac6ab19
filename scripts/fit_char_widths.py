"""How well a line's drawn width is predicted by counting characters and by `char_widths`.

Writes lines of real text (tiny Shakespeare sentences and the README's letter) with the shipped
model, measures each line's width as the page draws it (brought to the page's x-height and
slant), and prints the error of each prediction after fitting its one scale by least squares.
The lines and widths are kept in /tmp/char_width_lines.npz.

    python scripts/fit_char_widths.py --shakespeare ../shared/data/text/tinyshakespeare.txt
"""

import argparse
import re
from pathlib import Path

import numpy as np

import handsynth
from handsynth.write.char_widths import WIDTHS
from handsynth.write.render import RenderOptions, layout_lines


def texts(shakespeare: Path, count: int, seed: int) -> list[str]:
    letter = Path(__file__).resolve().parents[1] / "docs" / "letter.txt"
    lines = [line.strip() for line in letter.read_text(encoding="utf-8").splitlines()]
    words = re.sub(r"\s+", " ", shakespeare.read_text(encoding="utf-8")).split(" ")
    rng = np.random.default_rng(seed)
    for _ in range(count):
        start = int(rng.integers(len(words) - 12))
        lines.append(" ".join(words[start : start + int(rng.integers(5, 10))]))
    return [line for line in lines if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shakespeare", type=Path, required=True)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = handsynth.load_model()
    symbols = [s for s in model.alphabet.symbols if s.isprintable()]
    wanted = texts(args.shakespeare, args.count, args.seed)
    wanted = [text for text in wanted if not model.alphabet.unknown(text)]
    rows, widths = [], []
    drawn = []
    for start in range(0, len(wanted), 60):  # MAX_CHARACTERS a call
        written = model.write("\n".join(wanted[start : start + 60]), seed=args.seed, wrap=0)
        # as the page shows them: each line brought to the page's x-height and slant
        laid_out = layout_lines(written.offsets, RenderOptions())
        drawn += zip(written.texts, laid_out, written.faults, strict=True)
    for text, strokes, faults in drawn:
        if not text or faults or not strokes:
            continue
        rows.append([text.count(s) for s in symbols])
        xs = np.concatenate([stroke[:, 0] for stroke in strokes])
        widths.append(float(np.ptp(xs)) / RenderOptions().scale)  # pen units
    np.savez("/tmp/char_width_lines.npz", rows=np.array(rows), widths=np.array(widths))
    counts = np.array(rows, dtype=float)  # (L, S) characters of each line
    drawn = np.array(widths)  # (L,) pen units
    for name, units in [
        ("counting characters", counts.sum(axis=1)),
        ("char_widths.text_width", counts @ np.array([WIDTHS.get(s, 1.0) for s in symbols])),
    ]:
        scale = (units @ drawn) / (units @ units)  # pen units per unit, least squares
        error = np.sqrt(np.mean((scale * units - drawn) ** 2)) / drawn.mean()
        print(f"{name}: {scale:.1f} pen units a unit, line width error {error:.1%} of the mean")


if __name__ == "__main__":
    main()
