"""Shared fixtures: the committed IAM-OnDB fixture tree, prepared once per test session."""

import warnings
from pathlib import Path

import pytest
import torch

from handsynth.data.prepare import prepare_dataset

# The tests' networks are tiny: a second thread only adds synchronisation, which on a busy machine
# made single calls tens of times slower.
torch.set_num_threads(1)

FIXTURE_ROOT = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "iam"


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory) -> Path:
    """`handsynth prepare` output for the fixture tree (its bad files warn and are skipped)."""
    out_dir = tmp_path_factory.mktemp("prepared")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepare_dataset(
            FIXTURE_ROOT,
            out_dir,
            FIXTURE_ROOT / "splits",
            FIXTURE_ROOT / "splits" / "blacklist.txt",
            progress=False,
        )
    return out_dir
