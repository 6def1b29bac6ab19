"""Write the practical development set, the lines letters are made of, for `eval legibility`.

Greetings with titles and names, dates, times, street addresses, phone, order and reference
numbers, amounts, sign-offs with signatures, and pangrams: the capitals, digits, rare letters and
punctuation that IAM-OnDB has few of. The lines are made from templates and word lists of this
file's own, chosen by --seed; every capital A-Z and every digit 0-9 appears at least
`MIN_EACH` times, and every line fits the shipped model's alphabet and 60 characters.

    python scripts/make_practical_texts.py --out /tmp/practical.txt --count 200 --seed 0
"""

from __future__ import annotations

import argparse
import random
import string
from collections import Counter
from pathlib import Path

MIN_EACH = 20  # appearances of every capital and digit in the whole set
MAX_CHARACTERS = 60

TITLES = ["Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Rev.", "Capt."]
FIRST = [
    "Ada", "Quentin", "Xavier", "Zoe", "Ursula", "Victor", "Yvonne", "Isaac", "Olga", "Kurt",
    "Jane", "Walter", "Nadia", "Felix", "Greta", "Hugo", "Erin", "Bruno", "Carmen", "Derek",
    "Lena", "Pablo", "Rosa", "Simon", "Tomas", "Quinn", "Xena", "Zachary", "Uma", "Yusuf",
]  # fmt: skip
LAST = [
    "Quincy", "Xu", "Zimmer", "Underwood", "Vasquez", "Young", "Ivanova", "O'Neill", "Kowalski",
    "Jackson", "Whitfield", "Nakamura", "Fitzgerald", "Garcia", "Holmes", "Ellison", "Baker",
    "Castillo", "Dawson", "Lopez", "Park", "Reyes", "Schultz", "Thompson", "Quirke", "Zhou",
    "Vogel", "Yates", "Ulrich", "Iqbal", "MacLeod", "Novak",
]  # fmt: skip
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STREETS = [
    "Queen Street", "Oak Avenue", "Victoria Road", "Zion Lane", "Union Square", "York Place",
    "King's Way", "Jasper Court", "Elm Grove", "Harbour View", "Quarry Hill", "Xenia Drive",
]  # fmt: skip
CITIES = [
    "Quebec", "Zurich", "Vienna", "York", "Utrecht", "Oxford", "Kingston", "Jersey", "Leeds",
    "Geneva", "Dublin", "Boston", "Cardiff", "Florence", "Hamburg", "Paris", "Rome", "Seattle",
    "Toronto", "Wellington", "Nairobi", "Madrid", "Lisbon", "Albany",
]  # fmt: skip
PANGRAMS = [
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs.",
    "Sphinx of black quartz, judge my vow.",
    "How vexingly quick daft zebras jump!",
    "Jackdaws love my big sphinx of quartz.",
    "Quick zephyrs blow, vexing daft Jim.",
    "Waltz, bad nymph, for quick jigs vex.",
    "Amazingly few discotheques provide jukeboxes.",
]
SIGN_OFFS = ["Yours sincerely,", "Best wishes,", "Kind regards,", "With love,", "Yours truly,"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _name(rng: random.Random) -> str:
    """A first name, a middle initial and a last name."""
    return f"{rng.choice(FIRST)} {_letters(rng, 1)}. {rng.choice(LAST)}"


def _line(rng: random.Random) -> str:
    """One line of a letter, of a kind chosen at random."""
    kind = rng.randrange(11)
    day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(1950, 2039)
    if kind == 0:
        return f"Dear {rng.choice(TITLES)} {rng.choice(LAST)},"
    if kind == 1:
        return f"{rng.choice(DAYS)}, {day} {month} {year}"
    if kind == 2:
        hour, minute = rng.randint(0, 23), rng.randint(0, 59)
        return f"{day:02d}/{rng.randint(1, 12):02d}/{year} at {hour:02d}:{minute:02d}"
    if kind == 3:
        postcode = f"{_letters(rng, 2)}{rng.randint(1, 9)} {rng.randint(1, 9)}{_letters(rng, 2)}"
        return f"{rng.randint(1, 999)} {rng.choice(STREETS)}, {rng.choice(CITIES)} {postcode}"
    if kind == 4:
        return f"Call {_name(rng)} on {_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 4)}."
    if kind == 5:
        return (
            f"Order No. {_digits(rng, 4)} comes to {rng.randint(2, 999)}.{_digits(rng, 2)} dollars."
        )
    if kind == 6:
        room = f"{rng.randint(1, 60)}{_letters(rng, 1)}"
        return f"Ref. {_letters(rng, 2)}-{_digits(rng, 4)}, room {room}"
    if kind == 7:
        return rng.choice(SIGN_OFFS) + " " + _name(rng)
    if kind == 8:
        return rng.choice(PANGRAMS)
    if kind == 9:
        return f"Meet {rng.choice(FIRST)} in {rng.choice(CITIES)} on {month} {day}."
    return f"{_letters(rng, 3)} {_digits(rng, 3)} {_letters(rng, 2)}{_digits(rng, 2)} {_name(rng)}"


def practical_texts(count: int, seed: int) -> list[str]:
    """`count` distinct lines covering every capital and digit at least MIN_EACH times."""
    rng = random.Random(seed)
    for _ in range(1000):
        lines: list[str] = []
        while len(lines) < count:
            line = _line(rng)
            if len(line) <= MAX_CHARACTERS and line not in lines:
                lines.append(line)
        counts = Counter("".join(lines))
        if all(counts[c] >= MIN_EACH for c in string.ascii_uppercase + string.digits):
            return lines
    raise SystemExit(f"no set of {count} lines covers every capital and digit {MIN_EACH} times")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="file to write, one line a text")
    parser.add_argument("--count", type=int, default=200, help="lines (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="fixes the choice")
    args = parser.parse_args()
    lines = practical_texts(args.count, args.seed)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter("".join(lines))
    rarest = min(string.ascii_uppercase + string.digits, key=lambda c: counts[c])
    print(
        f"wrote {len(lines)} lines to {args.out}; rarest capital or digit {rarest!r}: "
        f"{counts[rarest]} times"
    )


if __name__ == "__main__":
    main()
