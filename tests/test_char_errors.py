"""Per-character errors of a reading: alignment and per-class rates against hand counts."""

from handsynth.nn.char_errors import MISSING, align, character_class, character_errors


def test_alignment_pairs_each_character_of_the_text_with_what_was_read():
    assert align("hxllo", "hello") == [("h", "h"), ("e", "x"), ("l", "l"), ("l", "l"), ("o", "o")]
    pairs = align("helo", "hello")
    assert [want for want, _ in pairs] == list("hello")
    assert [got for _, got in pairs].count(MISSING) == 1
    assert align("heello", "hello") == [(c, c) for c in "hello"]  # an added e is left out
    assert align("", "ab") == [("a", MISSING), ("b", MISSING)]


def test_classes_of_characters():
    assert [character_class(c) for c in "Aq7e.' "] == [
        "capitals", "rare lower-case", "digits", "other lower-case", "punctuation",
        "punctuation", None,
    ]  # fmt: skip


def test_error_rates_per_class_and_worst_characters_match_hand_counts():
    texts = ["Dear Ada, 1984"] * 5
    readings = ["Bear Ada, 1934"] * 4 + ["Dear Ada, 1984"]
    result = character_errors(readings, texts)
    classes = result["classes"]
    assert classes["capitals"] == {"characters": 10, "error_rate": 4 / 10}  # D 4 of 5, A 0 of 5
    assert classes["digits"] == {"characters": 20, "error_rate": 4 / 20}  # 8 read as 3, 4 times
    assert classes["other lower-case"]["error_rate"] == 0
    assert classes["punctuation"] == {"characters": 5, "error_rate": 0.0}
    assert classes["rare lower-case"] == {"characters": 0, "error_rate": None}
    worst = result["worst"]
    assert [w["character"] for w in worst] == ["D", "8"]
    assert worst[0]["read_as"] == [["B", 4]] and worst[0]["error_rate"] == 0.8
