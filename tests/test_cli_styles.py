"""`handsynth styles`: list, add (checked as the page checks a drawn line), rename, delete and the
preview sheet, through `cli.main` as a user types them."""

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from handsynth import cli
from handsynth.data.iam import line_transcription
from handsynth.write.style_folder import StyleFolder
from handsynth.write.styles import shipped_styles
from tests.conftest import FIXTURE_ROOT
from tests.test_hostile_inputs import tiny_model

TABLET_LINE = (
    Path(__file__).resolve().parents[1] / "data" / "fixtures" / "inkml" / "tablet_line.inkml"
)
IAM_LINE = FIXTURE_ROOT / "lineStrokes" / "a01" / "a01-000" / "a01-000u-01.xml"
SVG_PATH = "{http://www.w3.org/2000/svg}path"


def styles(capsys, folder: Path, *argv: str) -> tuple[int, str, str]:
    """Run `handsynth styles ARGV --styles-dir FOLDER`: (exit status, stdout, stderr)."""
    status = cli.main(["styles", *argv, "--styles-dir", str(folder)])
    out, err = capsys.readouterr()
    return status, out, err


def test_add_a_tablet_app_s_inkml_line_then_list_rename_and_delete_it(tmp_path, capsys):
    folder = tmp_path / "styles"
    status, out, err = styles(capsys, folder, "add", "my-hand", str(TABLET_LINE))
    assert status == 0, err
    assert "saved style 'my-hand' ('hello world', 341 points)" in out
    assert line_transcription(folder / "my-hand.xml") == "hello world"  # its own text, inside

    status, out, _ = styles(capsys, folder, "list")
    assert status == 0
    shipped = shipped_styles()
    for number, (_, text) in enumerate(shipped, start=1):
        assert f"{number:>5}  {text}\n" in out
    assert f"shipped styles ({len(shipped)}; handsynth write --style NUMBER)" in out
    assert "my-hand  hello world  (my-hand.xml)" in out

    assert styles(capsys, folder, "rename", "my-hand", "neat")[0] == 0
    assert [s.name for s in StyleFolder(folder).list()] == ["neat"]
    status, _, err = styles(capsys, folder, "rename", "my-hand", "other")
    assert status == 2 and "handsynth styles: error: there is no saved style named 'my-hand'" in err

    assert styles(capsys, folder, "delete", "neat")[0] == 0
    assert not (folder / "neat.xml").exists()
    status, out, _ = styles(capsys, folder, "list")
    assert "(0; handsynth write --style NAME)" in out and "none yet" in out


def test_add_refuses_a_line_that_does_not_read_as_its_text_and_names_the_flag(tmp_path, capsys):
    folder = tmp_path / "styles"
    status, _, err = styles(
        capsys, folder, "add", "mine", str(TABLET_LINE), "--text", "completely different words"
    )
    assert status == 2
    assert "handsynth styles: error: the line reads as 'hello world', not 'completely" in err
    assert "type what you wrote, or write it again" in err
    assert not folder.exists()  # nothing written
    # IAM-OnDB's own line files keep their text elsewhere: the command asks for --text.
    status, _, err = styles(capsys, folder, "add", "mine", str(IAM_LINE))
    assert status == 2 and "say what the style line reads with --text" in err
    status, _, err = styles(capsys, folder, "add", "../up", str(TABLET_LINE))
    assert status == 2 and "'../up' is not a style name" in err
    status, _, err = styles(capsys, folder, "add", "mine", str(tmp_path / "missing.inkml"))
    assert status == 2 and "missing.inkml: no such file" in err
    broken = tmp_path / "broken.inkml"
    broken.write_text('<ink xmlns="http://www.w3.org/2003/InkML"><trace>0 0, 1</trace></ink>')
    status, _, err = styles(capsys, folder, "add", "mine", str(broken))
    assert status == 2 and "broken.inkml: line 1: point '1' is not 2 values" in err
    assert not folder.exists()


def test_preview_draws_each_style_then_a_sentence_in_it(tmp_path, capsys):
    model = tmp_path / "paced.safetensors"
    # The window reads "hello world" over its line, and shipped style 6 (20 characters over 547
    # points) at about the same pace.
    tiny_model(model, kappa_bias=float(np.log(11.5 / 341)))
    folder = tmp_path / "styles"
    assert styles(capsys, folder, "add", "my-hand", str(TABLET_LINE))[0] == 0
    sheet = tmp_path / "sheet.svg"
    argv = ["preview", "6", "my-hand", "-o", str(sheet), "--model", str(model), "--seed", "3"]
    argv += ["--text", "a test"]
    status, out, err = styles(capsys, folder, *argv)
    assert status == 0, err
    assert "2 styles, each its own line then the sample: 6, my-hand" in out
    paths = etree.parse(str(sheet)).getroot().iter(SVG_PATH)
    drawn = sum(1 for _ in paths)
    own = int(shipped_styles()[5][0][:, 2].sum()) + 5  # shipped 6's strokes and the tablet's
    assert drawn > own  # and the two samples' strokes
    again = tmp_path / "again.svg"
    assert styles(capsys, folder, *argv[:4], str(again), *argv[5:])[0] == 0
    assert again.read_bytes() == sheet.read_bytes()  # a fixed seed draws the same sheet
    status, _, err = styles(capsys, folder, "preview", "nobody", "-o", str(sheet))
    assert status == 2 and "there is no saved style named 'nobody'" in err
    status, _, err = styles(capsys, folder, *argv[:-1], "Hi")  # the tiny model has no H
    assert status == 2 and "'H' (U+0048) at line 1, column 1" in err


def test_styles_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["styles", "--help"])
    text = capsys.readouterr().out
    for action in ("list", "preview", "add", "rename", "delete"):
        assert f"handsynth styles {action}" in text
    assert "recogniser" in text and "InkML" in text
    assert cli.main(["styles"]) == 2  # an action is needed
    assert "the following arguments are required: ACTION" in capsys.readouterr().err


def test_write_takes_a_saved_style_by_name_and_uses_its_adaptation(tmp_path, capsys):
    model = tmp_path / "paced.safetensors"
    tiny_model(model, kappa_bias=float(np.log(11.5 / 341)))  # reads "hello world" over its line
    folder = tmp_path / "styles"
    assert styles(capsys, folder, "add", "my-hand", str(TABLET_LINE), "--model", str(model))[0] == 0
    out = tmp_path / "out.svg"
    argv = ["write", "hello", "--model", str(model), "--seed", "1", "-o", str(out), "--wrap", "0"]
    argv += ["--styles-dir", str(folder)]
    assert cli.main([*argv, "--style", "my-hand"]) == 0
    by_name = out.read_bytes()
    assert cli.main([*argv, "--style", str(folder / "my-hand.xml")]) == 0
    assert out.read_bytes() == by_name  # the name is its file
    assert cli.main([*argv, "--style", "0"]) == 0
    assert out.read_bytes() != by_name  # no style writes another line
    status, _, err = styles(
        capsys, folder, "adapt", "my-hand", "--model", str(model), "--steps", "5"
    )
    assert status == 0, err
    assert (folder / "my-hand.adapted.safetensors").is_file()
    assert cli.main([*argv, "--style", "my-hand"]) == 0
    assert out.read_bytes() != by_name  # written by the adapted model
    capsys.readouterr()
    assert cli.main([*argv, "--style", "nobody"]) == 2
    assert "nobody: no such style file" in capsys.readouterr().err
