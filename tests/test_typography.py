"""Typographic characters become the plain ones the models know; accents are left alone."""

from handsynth.write.typography import describe, plain_typography


def test_quotes_dashes_ellipsis_and_spaces_become_plain():
    text = "\u201cIt\u2019s late\u201d \u2014 she said\u2026\u00a0ok \u2013 fine"
    plain, replaced = plain_typography(text)
    assert plain == '"It\'s late" - she said... ok - fine'
    assert replaced == {
        "\u201c": 1,
        "\u201d": 1,
        "\u2019": 1,
        "\u2014": 1,
        "\u2026": 1,
        "\u00a0": 1,
        "\u2013": 1,
    }
    line = describe(replaced)
    assert line.startswith("replaced typographic characters: 1 × '\u201c' with '\"'")
    assert "1 × '\u2026' with '...'" in line


def test_plain_text_and_accents_are_untouched():
    assert plain_typography("caf\u00e9 na\u00efve") == ("caf\u00e9 na\u00efve", {})
    assert plain_typography("plain 'text' - ok...")[1] == {}
