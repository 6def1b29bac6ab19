"""The architecture of each kind of network, one dataclass each, with the defaults `handsynth train`
uses (its size flags are built from these). `asdict(config)` goes into checkpoints and
`checkpoint.build_model` rebuilds the network from it. No torch here, so the command line reads
them while it parses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PredictionConfig:
    hidden_size: int = 400
    num_layers: int = 3
    num_mixtures: int = 20


@dataclass
class SynthesisConfig:
    alphabet_size: int
    hidden_size: int = 400
    num_layers: int = 3
    num_mixtures: int = 20
    num_window_gaussians: int = 10


@dataclass
class TextConfig:
    vocab_size: int
    embedding_size: int = 256
    hidden_size: int = 1000
    num_layers: int = 1
    dropout: float = 0.0  # probability of zeroing an embedded input or an LSTM output in training


@dataclass
class RecogniserConfig:
    alphabet_size: int
    hidden_size: int = 128  # LSTM cells per direction and layer
    num_layers: int = 2
    frame_steps: int = 4  # pen steps stacked into one LSTM frame (IAM: ~15 steps per character)


# kind -> its config; the fields besides the data's sizes are what `handsynth train` may set
CONFIGS = {
    "prediction": PredictionConfig,
    "synthesis": SynthesisConfig,
    "text": TextConfig,
    "recogniser": RecogniserConfig,
}
DATA_SIZES = ("alphabet_size", "vocab_size")  # fields that come from the data, not from the user
