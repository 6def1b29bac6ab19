"""Characters the model cannot write: the shipped substitution map, a user's map, `<unk>` dropped,
and the command line's --substitute, --substitutions and `text sample | write -`."""

import io
import warnings

import pytest

from handsynth import cli
from handsynth.data.alphabet import Alphabet
from handsynth.errors import FieldError
from handsynth.loaded import load_model
from handsynth.write.substitute import SHIPPED, describe, read_substitutions, substitute
from tests.test_writer import model_file  # noqa: F401  (a fixture: a tiny synthesis model)

ALPHABET = Alphabet(list(" .,&abcdefghijklmnopqrstuvwxyzCEGRUB"))


def test_nothing_but_unk_is_touched_unless_asked():
    text, replaced = substitute("a <unk> café €", ALPHABET)
    assert text == "a  café €" and replaced == {("<unk>", ""): 1}
    assert "dropped 1 × '<unk>'" in describe(replaced)


def test_the_shipped_map_replaces_only_what_the_model_lacks():
    text, replaced = substitute("Café & crème: 5€ at £2, ß", ALPHABET, True)
    # & is in the alphabet, so it stays; accents become their letters; € and £ their codes
    assert text == "Cafe & creme: 5EUR at GBP2, ss"
    assert (
        replaced[("é", "e")] == 1 and replaced[("€", "EUR")] == 1 and ("&", "and") not in replaced
    )
    assert describe(replaced).startswith("replaced 1 × 'é' with 'e'")
    assert SHIPPED["&"] == "and" and SHIPPED["@"] == "at"


def test_a_users_map_goes_on_top_and_replaces_what_it_names(tmp_path):
    path = tmp_path / "map.txt"
    path.write_text("# mine\n& and\n€ euros\n\n<unk> something\nx\n", encoding="utf-8")
    mapping = read_substitutions(path)
    assert mapping == {"&": "and", "€": "euros", "<unk>": "something", "x": ""}
    text, _ = substitute("fix & 5€ <unk> é", ALPHABET, mapping)
    assert text == "fi and 5euros something e"


def test_a_bad_map_file_is_refused_naming_the_argument(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(FieldError, match="substitutions: .*no substitutions"):
        read_substitutions(empty)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FieldError, match="UTF-8"):
        read_substitutions(binary)


def test_write_substitutes_with_a_warning(model_file):  # noqa: F811
    model = load_model(model_file)
    with pytest.warns(UserWarning, match="replaced 1 × 'é' with 'e'"):
        written = model.write("abé", seed=0, substitute=True)
    assert written.texts == ["abe"]
    assert model.lines("a <unk> b") == ["a b"]


def test_cli_points_at_substitute_then_writes_with_it(model_file, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "x.svg"
    base = ["write", "abé", "--model", str(model_file), "-o", str(out), "--seed", "0"]
    assert cli.main(base) == 2
    assert "--substitute replaces some of them" in capsys.readouterr().err
    assert cli.main([*base, "--substitute"]) == 0
    assert "replaced 1 × 'é' with 'e'" in capsys.readouterr().err
    path = tmp_path / "map.txt"
    path.write_text("é ee\n", encoding="utf-8")
    assert cli.main([*base, "--substitutions", str(path)]) == 0
    assert "'é' with 'ee'" in capsys.readouterr().err and out.is_file()


def test_text_samples_pipe_into_write(tmp_path, capsys, monkeypatch):
    assert cli.main(["text", "sample", "--seed", "2", "--length", "60"]) == 0
    sample = capsys.readouterr().out
    assert "<unk>" in sample
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(sample.encode("utf-8"))))
    out = tmp_path / "sample.svg"
    with warnings.catch_warnings():
        assert cli.main(["write", "-", "-o", str(out), "--seed", "0", "--retries", "0"]) == 0
    assert "dropped 2 × '<unk>'" in capsys.readouterr().err and out.is_file()
