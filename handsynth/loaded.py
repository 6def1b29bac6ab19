"""The front door: `load_model` reads a model file and returns a `LoadedModel` whose methods do the
work, as openai/whisper's `load_model(...).transcribe(...)`.

    model = handsynth.load_model()                    # the shipped synthesis model
    model.write("Dear Ada", seed=1).save("ada.svg")
    handsynth.load_model(kind="prediction").sample(steps=700, seed=0).save("scribble.png")
    handsynth.load_model(kind="text").generate("the market", length=200)

A model file is a `.pt` training checkpoint or a `.safetensors` export (`nn/weights.py` reads both
into the same arrays and description). This is the one module that reads that description: the
alphabet and the normalisation statistics come out of it here, as typed objects, and everything else
(the command line, `eval/`, the scripts) takes them from the loaded model. Each kind of model is a
class with what only it can do: `SynthesisModel.write`, `PredictionModel.sample`,
`TextModel.generate`, `RecogniserModel.as_line_reader`; asking one kind for another's method is a
`UserError` that says which kind it needs. Metrics and plots take a loaded model (`eval/`).

`write` runs on numpy alone (`sample/stepper.py`), so a short `handsynth write` never imports
torch: the torch network is built on first use, and the modules that need torch are imported by
the methods that use them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from handsynth.data.alphabet import Alphabet
from handsynth.data.strokes import Normalisation
from handsynth.errors import CheckpointError, UserError
from handsynth.nn.weights import read_model_arrays, shipped_path, write_model_file
from handsynth.options import (
    ADAPT_STEPS,
    DEFAULT_BPTT,
    DEFAULT_CANDIDATES,
    DEFAULT_STYLE,
    NO_STYLE,
    SAMPLE_BIAS,
    SAMPLE_STEPS,
    TEXT_LENGTH,
    WriteOptions,
)
from handsynth.sample.reader import LineReader
from handsynth.sample.stepper import SynthesisWeights
from handsynth.sample.synthesis import SynthesisStep
from handsynth.write.glyphs import RealGlyphs, shipped_glyphs
from handsynth.write.handwriting import Handwriting
from handsynth.write.lines import tidy_lines, write_lines
from handsynth.write.styles import load_style as read_style
from handsynth.write.styles import shipped_normalisation
from handsynth.write.substitute import describe as describe_substitutions
from handsynth.write.substitute import substitute as substitute_characters
from handsynth.write.typography import describe as describe_typography
from handsynth.write.typography import plain_typography

if TYPE_CHECKING:
    import torch

    from handsynth.sample.torch_stepper import TorchSynthesis


class LoadedModel:
    """A network ready for use, with the alphabet it was trained with; the base of one class per
    kind of model.

    Attributes: `network` (the torch module, in eval mode, built on first use on `device`),
    `arrays` (the float32 weights by state-dict name), `kind`, `alphabet`, `description` (what the
    model file says about itself: config, data, training) and `path`. `export` takes any kind.
    """

    kind: str

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        description: dict,
        path: Path | None = None,
        device: str = "cpu",
    ):
        self.arrays = arrays  # float32 weights by state-dict name
        self.description = description
        self.path = path
        self.device = device
        self.alphabet = Alphabet.from_json(description["data"]["alphabet"])

    def __repr__(self) -> str:
        parameters = sum(a.size for a in self.arrays.values())
        return f"{type(self).__name__}(path={str(self.path)!r}, parameters={parameters:,})"

    def __getattr__(self, name: str):
        """Only reached for a name this model lacks: another kind's method is a UserError."""
        kinds = [cls.kind for cls in MODELS.values() if name in vars(cls)]
        if kinds and not name.startswith("_"):
            needed = " or ".join(kinds)
            raise UserError(f"{name} needs a {needed} model; this is a {self.kind} model")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @cached_property
    def network(self) -> torch.nn.Module:
        import torch

        from handsynth.nn.checkpoint import rebuild_model

        state_dict = {k: torch.from_numpy(v) for k, v in self.arrays.items()}
        network = rebuild_model(self.kind, self.description["config"], state_dict)
        return network.to(self.device).eval()

    def export(self, path: str | Path) -> Path:
        """Write the model as a small safetensors file (float16 weights and the description)."""
        write_model_file(path, self.network.state_dict(), self.description)
        return Path(path)


class HandwritingModel(LoadedModel):
    """A network of pen offsets, with the normalisation of the lines it was trained on."""

    def __init__(self, arrays, description, path=None, device="cpu"):
        super().__init__(arrays, description, path, device)
        self.normalisation = Normalisation.from_json(description["data"]["normalisation"])


class SynthesisModel(HandwritingModel):
    """Handwriting of a given text (Graves §5): `write`, and the lines and styles it takes.

    `synthesis_weights` are the numpy weights `write` steps with on the CPU.
    """

    kind = "synthesis"

    def __init__(self, arrays, description, path=None, device="cpu"):
        super().__init__(arrays, description, path, device)
        try:
            self.synthesis_weights = SynthesisWeights.from_state_dict(arrays, description["config"])
        except (KeyError, ValueError) as error:  # a missing array or one of the wrong shape
            raise CheckpointError(
                f"{path}: the weights do not fit the model's config: {error}"
            ) from None

    def synthesis_stepping(self) -> SynthesisWeights | TorchSynthesis:
        """What the sampler steps: the numpy weights on the CPU, the torch network elsewhere."""
        if self.device == "cpu":
            return self.synthesis_weights
        from handsynth.sample.torch_stepper import TorchSynthesis

        return TorchSynthesis(self.network)

    def write(
        self,
        text: str,
        bias: float = WriteOptions.bias,
        temperature: float = WriteOptions.temperature,
        seed: int | None = WriteOptions.seed,
        wrap: int = WriteOptions.wrap,
        retries: int = WriteOptions.retries,
        candidates: int | None = None,
        glyphs: bool = WriteOptions.glyphs,
        style: int | str | os.PathLike | None = None,
        style_text: str | None = None,
        substitute: bool | Mapping[str, str] = False,
        progress: bool = False,
        on_step: Callable[[SynthesisStep], None] | None = None,
    ) -> Handwriting:
        """Write `text` in handwriting (synthesis models).

        The text's own line breaks are kept and lines longer than `wrap` characters are wrapped
        (`options.WriteOptions` explains each knob). `style` primes the network with a line of
        handwriting before every line (Graves §5.5), so that the page is in one hand: a shipped
        style number, an IAM-OnDB lineStrokes .xml, an .svg whose paths are pen strokes or a
        one-line .inkml; for a file, `style_text` says what it reads (a line saved from the web
        page says it itself). None: shipped style `options.DEFAULT_STYLE`; 0 (`NO_STYLE`): no
        style, each line in a hand of its own. A style file with an adaptation beside it
        (`for_style`) is written by the model adapted to its writer. `candidates` draws of each line
        go in one batch and the recogniser keeps the one it reads best (None:
        `options.DEFAULT_CANDIDATES` where it reads this model's alphabet, else 1). A character
        the model cannot write raises `handsynth.TextError` naming where it is; curly quotes,
        dashes, ellipses and special spaces are first made plain, with a warning that says so.
        `substitute` replaces characters the model cannot write by ones it can (True: the shipped
        map, € -> EUR, é -> e...; a mapping: yours on top of it; `write.substitute`), with a
        warning naming what it replaced; the text model's `<unk>` is always dropped. `progress`
        shows a bar of the pen steps drawn on standard error.

        `on_step`, to watch it write, is called with each pen step as it is drawn: a
        `sample.synthesis.SynthesisStep` whose offsets (B, 3) are in raw pen units, one row for each
        non-empty line of `self.lines(text, wrap)` in order (its first candidate). Lines with
        faults are then drawn again: `t` starts from 0 once more, with a row for each redraw; a
        line repaired from a faulty word (`write.repair`) is drawn on from where that word began.
        """
        if candidates is None:
            candidates = DEFAULT_CANDIDATES if self.line_reader is not None else 1
        options = WriteOptions(bias, temperature, seed, wrap, retries, candidates, glyphs)
        options.check()
        reader = self._reader(candidates)
        text, replaced = plain_typography(text)
        if replaced:
            warnings.warn(describe_typography(replaced), stacklevel=2)
        text, substituted = substitute_characters(text, self.alphabet, substitute)
        if substituted:
            warnings.warn(describe_substitutions(substituted), stacklevel=2)
        lines = tidy_lines(text, self.alphabet, wrap)
        prime = self.prime(style, style_text)
        writer = self.for_style(style)
        with tqdm(desc="writing", unit=" steps", disable=not progress, leave=False) as bar:

            def step_drawn(step: SynthesisStep) -> None:
                bar.update(1)
                if on_step is not None:
                    on_step(replace(step, offsets=self.normalisation.denormalise(step.offsets)))

            try:
                written = write_lines(
                    writer.synthesis_stepping(),
                    self.alphabet,
                    self.normalisation,
                    lines,
                    options,
                    prime,
                    on_step=step_drawn,
                    reader=reader,
                    guide=self.guide(options),
                )
            except CheckpointError as error:  # weights that draw no finite numbers
                raise CheckpointError(f"{self.path}: {error}") from None
        return Handwriting(
            [line.offsets for line in written],
            [line.text for line in written],
            [line.faults for line in written],
        )

    @cached_property
    def _glyphs(self) -> RealGlyphs | None:
        """The shipped glyph bank in this model's units; None where the model cannot write all
        of its characters."""
        bank = shipped_glyphs()
        fits = all(not self.alphabet.unknown(char) for char in bank.drawings)
        return RealGlyphs(bank, self.normalisation) if fits else None

    def guide(self, options: WriteOptions) -> RealGlyphs | None:
        """What draws the rarest characters from real strokes when `options.glyphs` asks for it
        (`write.glyphs`); None to let the network write every character."""
        return self._glyphs if options.glyphs else None

    @cached_property
    def line_reader(self) -> LineReader | None:
        """The shipped recogniser in numpy, which picks the best of several draws of a line; None
        where this model writes another alphabet than it reads."""
        path = shipped_path("recogniser")
        reader = RecogniserModel(*read_model_arrays(path), path).as_line_reader()
        return reader if reader.alphabet == self.alphabet else None

    def _reader(self, candidates: int) -> LineReader | None:
        """The reader that chooses among draws; an error if `candidates` needs one and none fits."""
        if candidates > 1 and self.line_reader is None:
            raise UserError(
                f"{self.path}: this model writes another alphabet than the shipped recogniser "
                "reads, so it cannot choose among candidates; write one candidate"
            )
        return self.line_reader

    def lines(
        self,
        text: str,
        wrap: int = WriteOptions.wrap,
        substitute: bool | Mapping[str, str] = False,
    ) -> list[str]:
        """The lines `write` draws for `text`: checked, typography made plain, characters
        substituted as `write` does, wrapped ("" for a gap between paragraphs)."""
        text = substitute_characters(plain_typography(text)[0], self.alphabet, substitute)[0]
        return tidy_lines(text, self.alphabet, wrap)

    def adapted(
        self,
        lines: list[tuple[np.ndarray, str]],
        steps: int | None = None,
        progress: bool = False,
        seed: int = 0,
    ) -> SynthesisModel:
        """A copy of this model fine-tuned on one writer's lines, each (raw pen offsets (T, 3),
        text), for `steps` steps (`nn.adapt`; its head alone, a fraction of a second a step on a
        CPU): write with it, primed with one of the same lines, for more of that writer's hand."""
        from handsynth.data.dataset import HandwritingData
        from handsynth.nn.adapt import adapt, adaptation_lines

        if not lines:
            raise UserError("adaptation needs at least one line of the writer's handwriting")
        steps = ADAPT_STEPS if steps is None else steps
        offsets, texts = adaptation_lines(lines)
        tidy_lines("\n".join(texts), self.alphabet, 0)  # every character must be writable
        data = HandwritingData(
            [self.normalisation.normalise(o) for o in offsets],
            [self.alphabet.encode(t) for t in texts],
            texts,
        )
        with tqdm(total=steps, desc="adapting", disable=not progress, leave=False) as bar:

            def stepped(step: int, nats: float) -> None:
                bar.update(1)
                bar.set_postfix(nats=f"{nats:.0f}")

            tuned = adapt(self.network, data, steps, seed=seed, on_step=stepped)
        return self._with_head(tuned, {"lines": len(lines), "steps": steps})

    def for_style(self, style: int | str | os.PathLike | None) -> SynthesisModel:
        """The model to write `style` with: adapted to it where the style file has an adaptation
        beside it (`nn.adaptation_file.adaptation_path`, which `handsynth styles adapt` writes),
        else this one."""
        from handsynth.nn.adaptation_file import adaptation_path

        if style is None or str(style).isdigit():
            return self
        path = adaptation_path(style)
        return self.with_adaptation(path) if path.is_file() else self

    def save_adaptation(self, path: str | os.PathLike) -> Path:
        """Write what `adapted` tuned (the mixture head, about 190 KB) to `path`."""
        from handsynth.nn.adaptation_file import save_adaptation

        if "adapted" not in self.description:
            raise UserError("this model is not adapted to a writer; use adapted(lines) first")
        head = {name: a for name, a in self.arrays.items() if name.startswith("head.")}
        save_adaptation(path, head, self.description["adapted"])
        return Path(path)

    def with_adaptation(self, path: str | os.PathLike) -> SynthesisModel:
        """This model with the head an adaptation file holds (`save_adaptation`)."""
        from handsynth.nn.adaptation_file import load_adaptation

        tuned, note = load_adaptation(path)
        for name, array in tuned.items():
            if name not in self.arrays or self.arrays[name].shape != array.shape:
                raise CheckpointError(f"{path}: adapted for another model than {self.path}")
        return self._with_head(tuned, note)

    def _with_head(self, tuned: dict[str, np.ndarray], note: dict) -> SynthesisModel:
        description = {**self.description, "adapted": note}
        return SynthesisModel({**self.arrays, **tuned}, description, self.path, self.device)

    def prime(
        self, style: int | str | os.PathLike | None, style_text: str | None = None
    ) -> tuple[np.ndarray, str] | None:
        """What `write` primes every line with for `style` (see `write`): a style, or None for no
        style. The default hand is used only by models trained on the data the shipped styles were
        chosen with (the same normalisation statistics): for others, no style."""
        if str(style) == str(NO_STYLE):
            return None
        if style is not None:
            return self.load_style(style, style_text)
        if shipped_normalisation() != self.normalisation:  # None where no styles are shipped
            return None
        return self.load_style(DEFAULT_STYLE)

    def load_style(
        self, style: int | str | os.PathLike, style_text: str | None = None
    ) -> tuple[np.ndarray, str]:
        """A style to prime `write` with, as (offsets (T, 3) normalised, its text); its text must be
        one the model can write (`styles.load_style` says where styles come from)."""
        prime = read_style(str(style), style_text, self.normalisation)
        tidy_lines(prime[1], self.alphabet, 0)
        return prime


class PredictionModel(HandwritingModel):
    """Unconditional handwriting (Graves §4): `sample`."""

    kind = "prediction"

    def sample(
        self,
        steps: int = SAMPLE_STEPS,
        lines: int = 1,
        bias: float = SAMPLE_BIAS,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> Handwriting:
        """Unconditional handwriting (prediction models, Graves §4, Fig 11): `lines` lines of
        `steps` pen steps each; `bias` sharpens the mixture as for `write` (eqs 61-62)."""
        from handsynth.sample.prediction import make_generator, sample_prediction

        if steps < 1 or lines < 1:
            raise UserError(f"steps and lines must be at least 1, got {steps} and {lines}")
        generator = make_generator(seed)
        drawn = sample_prediction(self.network, lines, steps, bias, temperature, generator)
        offsets = []
        for line in drawn:  # (steps + 1, 3) normalised, row 0 the pen at rest
            line[-1, 2] = 1.0  # the pen lifts at the end
            offsets.append(self.normalisation.denormalise(line))
        return Handwriting(offsets, [""] * lines, [[] for _ in range(lines)])


class RecogniserModel(HandwritingModel):
    """The CTC recogniser (`nn/recogniser.py`): `as_line_reader` reads lines without torch."""

    kind = "recogniser"

    def as_line_reader(self) -> LineReader:
        """This recogniser in numpy (`reader.LineReader`), reading without torch."""
        config = self.description["config"]
        layers, frame_steps = config["num_layers"], config["frame_steps"]
        return LineReader(self.arrays, layers, frame_steps, self.alphabet, self.normalisation)


class TextModel(LoadedModel):
    """Text (Graves §3): `generate` and `stream`; `level` ("char" or "word") and `bptt`, the
    window it was trained and is evaluated with."""

    kind = "text"

    def __init__(self, arrays, description, path=None, device="cpu"):
        super().__init__(arrays, description, path, device)
        self.level: str = description["data"]["level"]
        train_config = description.get("training", {}).get("train_config", {})
        self.bptt: int = train_config.get("bptt", DEFAULT_BPTT)  # files from before it was stored

    def generate(
        self,
        prime: str = "",
        length: int = TEXT_LENGTH,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> str:
        """The prime followed by `length` sampled symbols (text models, Graves §3).

        At word level the prime is split into words and the words are joined with spaces.
        Temperature below 1 is more conservative.
        """
        return "".join(self.stream(prime, length, temperature, seed))

    def stream(
        self,
        prime: str = "",
        length: int = TEXT_LENGTH,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> Iterator[str]:
        """`generate`'s text piece by piece, each symbol as soon as it is sampled."""
        from handsynth.sample.prediction import make_generator
        from handsynth.sample.text import stream_text

        word_level = self.level == "word"
        symbols = prime.split() if word_level else prime
        missing = self.alphabet.unknown(symbols)
        if missing:
            raise UserError(f"the prime uses symbols the model does not know: {missing}")
        generator = make_generator(seed)
        sampled = stream_text(self.network, self.alphabet, symbols, length, temperature, generator)
        if prime:
            yield prime
        for n, symbol in enumerate(sampled):
            yield (" " if word_level and (n or prime) else "") + symbol


MODELS = {cls.kind: cls for cls in (SynthesisModel, PredictionModel, TextModel, RecogniserModel)}


def load_model(
    path: str | os.PathLike | None = None,
    kind: str | None = None,
    device: str = "cpu",
) -> LoadedModel:
    """Load a model file for use: a `.pt` checkpoint from `handsynth train`, a `.safetensors`
    from `handsynth export`, or the name of a model shipped with the package.

    Without `path`, the model of `kind` shipped with the package (synthesis when no kind is given;
    prediction and text are shipped too). A `path` that names no file but is a bare name, such as
    "shakespeare", is the shipped model of that name (`weights.SHIPPED`). With `kind`, a file
    holding another kind is refused. `device` is where the network runs ("cpu", "cuda", ...); on
    the CPU `write` steps it in numpy.
    """
    path = _model_path(path, kind)
    arrays, description = read_model_arrays(path)
    if kind is not None and description["kind"] != kind:
        raise CheckpointError(f"{path} holds a {description['kind']} model, not a {kind} model")
    model_class = MODELS.get(description["kind"])
    if model_class is None:
        raise CheckpointError(f"{path}: unknown model kind {description['kind']!r}")
    model = model_class(arrays, description, path, str(device))
    if not isinstance(model, SynthesisModel):
        try:
            model.network  # noqa: B018 - built now, so a file that does not fit fails here
        except CheckpointError as error:
            raise CheckpointError(f"{path}: {error}") from None
    return model


def _model_path(path: str | os.PathLike | None, kind: str | None) -> Path:
    """The file `load_model` reads: `path`, or the shipped model that `path` or `kind` names."""
    if path is None:
        return shipped_path(kind or "synthesis")
    path = Path(path)
    if not path.exists() and path.name == str(path) and not path.suffix:
        return shipped_path(str(path))  # a bare name: a shipped model, or an error listing them
    return path
