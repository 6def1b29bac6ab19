"""How alike the lines of a written letter are, as drawn and in one hand: one JSON line on stdout.

Writes a text with a synthesis model, lays the page out twice (`render.layout_lines` with
`one_hand` off and on, the default) and measures every line (`hand_metrics.measure_line`):

- x_height_spread: (max - min) / median of the lines' x-heights; 0.1 means no line's x-height is
  more than 10 % of the median away from another's;
- slant_range_degrees: the most and least leaning lines' slants apart, in degrees;
- x_heights_px and slants_degrees: per line, in px at the default scale.

    python scripts/measure_hand.py                        # docs/letter.txt, seed 0, shipped model
    python scripts/measure_hand.py --text my.txt --seed 3 --bias 2
"""

import argparse
import json
from pathlib import Path

import handsynth
from handsynth.options import WriteOptions
from handsynth.write.hand_metrics import PageMetrics, measure_page
from handsynth.write.render import RenderOptions, layout_lines

LETTER = Path(__file__).resolve().parents[1] / "docs" / "letter.txt"


def summary(page: PageMetrics) -> dict:
    return {
        "x_height_spread": round(page.x_height_spread, 4),
        "slant_range_degrees": round(page.slant_range_degrees, 2),
        "unmeasured_lines": page.unmeasured,
        "x_heights_px": [round(x, 2) for x in page.x_heights],
        "slants_degrees": [round(s, 2) for s in page.slants_degrees],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=Path, default=LETTER, help="text file to write")
    parser.add_argument("--seed", type=int, default=0, help="the drawing (default: 0)")
    parser.add_argument("--bias", type=float, default=WriteOptions.bias, help="neatness")
    parser.add_argument("--model", type=Path, help="synthesis model file (none: the shipped one)")
    args = parser.parse_args()

    model = handsynth.load_model(args.model, kind="synthesis")
    text = args.text.read_text(encoding="utf-8")
    written = model.write(text, bias=args.bias, seed=args.seed)
    as_drawn = measure_page(layout_lines(written.offsets, RenderOptions(one_hand=False)))
    one_hand = measure_page(layout_lines(written.offsets, RenderOptions()))
    result = {
        "text": args.text.name,
        "characters": len(text),
        "lines": len(written.offsets),
        "seed": args.seed,
        "bias": args.bias,
        "as_drawn": summary(as_drawn),
        "one_hand": summary(one_hand),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
