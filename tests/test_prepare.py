"""Tests of handsynth.data.prepare on the fixture tree data/fixtures/iam."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from handsynth.data.alphabet import Alphabet
from handsynth.data.iam import IamDataWarning, IamLine
from handsynth.data.prepare import line_offsets, load_metadata, load_prepared, prepare_dataset
from handsynth.data.strokes import offsets_to_points
from handsynth.errors import UserError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "iam"
SPLITS = FIXTURES / "splits"
TRAIN_LINES = ["a01-000u-01", "a01-000u-02", "a02-004-01"]
VALID_LINES = ["b01-001x-01", "b01-001x-03"]


def xml_points(line_id: str) -> np.ndarray:
    """Points (N, 2) of a fixture line read with a regex, independently of lxml and strokes.py."""
    form = line_id[:-3]
    path = FIXTURES / "lineStrokes" / form[:3] / form[:7] / f"{line_id}.xml"
    pairs = re.findall(r'<Point x="(-?\d+)" y="(-?\d+)"', path.read_text())
    return np.array(pairs, dtype=np.float64)


def prepare(out_dir, **options):
    with pytest.warns(IamDataWarning):
        return prepare_dataset(
            FIXTURES, out_dir, SPLITS, SPLITS / "blacklist.txt", progress=False, **options
        )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("prepared") / "nested" / "out"
    return out_dir, prepare(out_dir)


def test_report_counts(prepared):
    _, report = prepared
    assert report["splits"] == {
        "train": {"lines": 3, "points": 12 + 12 + 12, "forms": 2},
        "valid": {"lines": 2, "points": 12 + 12, "forms": 1},
    }
    assert report["dropped"] == {
        "blacklisted": 1,
        "line number past CSR list": 1,
        "malformed xml": 2,
        "too few points": 1,
    }


def test_arrays_load_without_pickle(prepared):
    out_dir, _ = prepared
    with np.load(out_dir / "train.npz", allow_pickle=False) as data:
        assert data["offsets"].dtype == np.float32 and data["offsets"].shape == (36, 3)
        np.testing.assert_array_equal(data["starts"], [0, 12, 24, 36])
        assert data["starts"].dtype == np.int64
        assert data["texts"].dtype.kind == "U" and data["line_ids"].dtype.kind == "U"
    assert sorted(p.name for p in out_dir.iterdir()) == ["metadata.json", "train.npz", "valid.npz"]


def test_load_prepared_round_trips_to_xml_points(prepared):
    out_dir, _ = prepared
    for split, expected_ids in (("train", TRAIN_LINES), ("valid", VALID_LINES)):
        offsets, texts, line_ids = load_prepared(out_dir, split)
        assert line_ids == expected_ids
        for offsets_of_line, line_id in zip(offsets, line_ids, strict=True):
            points = xml_points(line_id)
            restored, eos = offsets_to_points(offsets_of_line, start=points[0])
            np.testing.assert_array_equal(restored, points)
            assert eos.sum() == 2 and eos[-1] == 1
    _, texts, _ = load_prepared(out_dir, "train")
    assert texts == ["A MOVE to stop", "Mr. Gaitskell", "Labour life Peers"]


def test_metadata(prepared):
    out_dir, _ = prepared
    metadata = load_metadata(out_dir)
    assert metadata["format_version"] == 1
    texts = ["A MOVE to stop", "Mr. Gaitskell", "Labour life Peers", "M Ps tomorrow"]
    texts.append('"resolution" on 3')
    assert Alphabet.from_json(metadata["alphabet"]) == Alphabet.from_corpus(texts)
    assert {'"', "3", "."} <= set(metadata["alphabet"]["symbols"])  # nothing silently dropped
    assert metadata["splits"]["train"]["lines"] == 3
    assert metadata["dropped"]["too few points"] == 1
    assert metadata["options"]["reduced_alphabet"] is False
    # The fixture splits hold no testset_f list: training takes the sets that are there.
    assert metadata["sets"] == {"train": ["trainset", "testset_t"], "valid": ["testset_v"]}
    assert metadata["source"] == str(FIXTURES)


def test_normalisation_matches_hand_computation(prepared):
    out_dir, report = prepared
    moves = np.concatenate([np.diff(xml_points(line_id), axis=0) for line_id in TRAIN_LINES])
    metadata = json.loads((out_dir / "metadata.json").read_text())
    np.testing.assert_allclose(metadata["normalisation"]["mean"], moves.mean(0))
    np.testing.assert_allclose(metadata["normalisation"]["std"], moves.std(0))
    assert report["normalisation"] == metadata["normalisation"]


def test_reduced_alphabet_keeps_texts(tmp_path):
    prepare(tmp_path, reduced_alphabet=True, slant_correction=True)
    metadata = load_metadata(tmp_path)
    assert Alphabet.from_json(metadata["alphabet"]) == Alphabet.reduced()
    _, texts, _ = load_prepared(tmp_path, "valid")
    assert texts[1] == '"resolution" on 3'


def test_smooth_is_recorded_and_keeps_every_line(tmp_path, prepared):
    report = prepare(tmp_path, smooth=True)
    assert report["splits"] == prepared[1]["splits"]
    assert load_metadata(tmp_path)["options"]["smooth"] is True
    _, raw_texts, _ = load_prepared(prepared[0], "train")
    assert load_prepared(tmp_path, "train")[1] == raw_texts


def test_line_offsets_smooth_a_jittery_stroke_and_keep_its_pen_lifts():
    x = np.arange(30.0) * 10
    jitter = np.where(np.arange(30) % 2, 4.0, -4.0)
    stroke = np.stack([x, 100 + jitter, np.zeros(30)], axis=1)  # (30, 3): x, y, time
    dot = np.array([[150.0, 20.0, 0.0]])
    line = IamLine("a01-000u-01", "a01-000u", "i", [stroke, dot])
    raw = line_offsets(line, max_jump=None, smooth=False, slant_correction=False)
    smooth = line_offsets(line, max_jump=None, smooth=True, slant_correction=False)
    np.testing.assert_array_equal(smooth[:, 2], raw[:, 2])
    # y from the first point (96): raw it zigzags 0, 8, 0, ...; smoothed it stays near 4 inside the
    # stroke (the 7-point cubic filter passes 5/21 of an alternating signal).
    raw_y, smooth_y = np.cumsum(raw[:, 1]), np.cumsum(smooth[:, 1])
    np.testing.assert_allclose(np.abs(raw_y[3:27] - 4.0), 4.0)
    np.testing.assert_allclose(np.abs(smooth_y[3:27] - 4.0), 4.0 * 5 / 21, rtol=1e-5)
    np.testing.assert_allclose(np.cumsum(smooth[:, :2], axis=0)[30], [150.0, 20.0 - 96.0])


def test_missing_files_say_run_prepare(tmp_path):
    with pytest.raises(UserError, match="handsynth prepare"):
        load_prepared(tmp_path, "train")
    with pytest.raises(UserError, match="handsynth prepare"):
        load_metadata(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_prepared(tmp_path, "test")


def test_training_sets_choose_what_goes_into_train(tmp_path):
    report = prepare(tmp_path, training_sets=("testset_t",))
    assert report["sets"]["train"] == ["testset_t"]
    _, _, line_ids = load_prepared(tmp_path, "train")
    assert {line_id[:7] for line_id in line_ids} == {"a02-004"}
    with pytest.raises(ValueError, match="unknown training sets"):
        prepare_dataset(FIXTURES, tmp_path, SPLITS, training_sets=("testset_x",), progress=False)
    with pytest.raises(UserError, match="testset_f.txt"):
        prepare_dataset(FIXTURES, tmp_path, SPLITS, training_sets=("testset_f",), progress=False)


@pytest.mark.parametrize("max_jump", [None, 100.0])
def test_lines_beyond_float32_are_dropped_and_counted(tmp_path, max_jump):
    """Coordinates whose steps overflow float32 once gave a normalisation of inf and NaN."""
    import shutil

    root = tmp_path / "iam"
    shutil.copytree(FIXTURES, root)
    line = root / "lineStrokes" / "a01" / "a01-000" / "a01-000u-02.xml"
    scaled = re.sub(
        r'(x|y)="(-?\d+)"', lambda m: f'{m[1]}="{int(m[2]) * 10**38}"', line.read_text()
    )
    line.write_text(scaled)
    out = tmp_path / "out"
    with pytest.warns(IamDataWarning):
        report = prepare_dataset(
            root, out, SPLITS, SPLITS / "blacklist.txt", progress=False, max_jump=max_jump
        )
    assert report["dropped"]["coordinates beyond float32"] == 1
    metadata = load_metadata(out)
    assert np.isfinite(metadata["normalisation"]["mean"] + metadata["normalisation"]["std"]).all()
    assert metadata["dropped"]["coordinates beyond float32"] == 1
    assert "a01-000u-02" not in load_prepared(out, "train")[2]
