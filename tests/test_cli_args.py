"""The argparse types that check flags before any work: ranges, finite numbers, paths, colours."""

import argparse

import pytest

from handsynth.cli import args as cli_args

Bad = argparse.ArgumentTypeError


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "-0.1", "10.5", "x", ""])
def test_numbers_must_be_finite_and_in_range(text):
    with pytest.raises(Bad, match="must be a number"):
        cli_args.number(0, 10)(text)


def test_number_bounds_are_inclusive_unless_above_low():
    assert cli_args.number(0, 10)("0") == 0 and cli_args.number(0, 10)("10") == 10
    with pytest.raises(Bad, match="above 0 up to 5"):
        cli_args.number(0, 5, above_low=True)("0")
    assert cli_args.number(0, 5, above_low=True)("1e-3") == 1e-3


def test_integers_and_seeds():
    assert cli_args.integer(0, 20)("3") == 3
    with pytest.raises(Bad, match="between 0 and 20, got -1"):
        cli_args.integer(0, 20)("-1")
    with pytest.raises(Bad, match="whole number"):
        cli_args.integer(0, 20)("2.5")
    assert cli_args.seed(str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(Bad, match="between 0 and 9,223,372,036,854,775,807"):
        cli_args.seed("99999999999999999999999")


def test_colours():
    assert cli_args.colour("#1a2B3c") == "#1a2B3c" and cli_args.colour("#abc") == "#abc"
    assert cli_args.colour("Navy") == "navy"
    for text in ["notacolour", "#12", "#ggg", "rgb(1,2,3)"]:
        with pytest.raises(Bad, match="not a colour"):
            cli_args.colour(text)


def test_output_files(tmp_path):
    parse = cli_args.output_file((".svg", ".png"))
    assert parse(str(tmp_path / "a.SVG")) == tmp_path / "a.SVG"
    assert list(tmp_path.iterdir()) == []  # the write probe leaves nothing behind
    with pytest.raises(Bad, match="is a folder"):
        parse(str(tmp_path))
    with pytest.raises(Bad, match="must end in .svg or .png"):
        parse(str(tmp_path / "a.gif"))
    (tmp_path / "afile").write_text("x")
    with pytest.raises(Bad, match="is a file, not a folder"):
        parse(str(tmp_path / "afile" / "x.svg"))
    with pytest.raises(Bad, match="does not exist"):
        parse(str(tmp_path / "missing" / "x.svg"))
    with pytest.raises(Bad, match="cannot write in /sys"):
        parse("/sys/x.svg")


def test_output_folders_and_input_files(tmp_path):
    (tmp_path / "afile").write_text("x")
    assert cli_args.output_folder(str(tmp_path / "new" / "run")) == tmp_path / "new" / "run"
    assert not (tmp_path / "new").exists()
    with pytest.raises(Bad, match="is a file; give a folder"):
        cli_args.output_folder(str(tmp_path / "afile"))
    assert cli_args.input_file(str(tmp_path / "afile")) == tmp_path / "afile"
    with pytest.raises(Bad, match="no such file"):
        cli_args.input_file(str(tmp_path / "nope"))
    with pytest.raises(Bad, match="is a folder"):
        cli_args.input_file(str(tmp_path))
