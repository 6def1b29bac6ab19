"""handsynth: handwriting synthesis with the recurrent mixture density networks of Graves (2013).

`load_model()` loads the shipped synthesis model (or a `.pt`/`.safetensors` file, or with `kind=`
the shipped prediction or text model) as the class of its kind; `SynthesisModel.write`,
`PredictionModel.sample` and `TextModel.generate` do the work and `Handwriting.save` writes SVG or
PNG. The package's folders follow the data: data -> nn -> sample -> write, with train, eval, cli
and web on top. See docs/python-api.md and docs/layout.md.
"""

__version__ = "0.1.0"
# The public API, each name from the module that owns it. They are imported on first use (PEP 562):
# the command line imports this package for --help and --version, and `handsynth write` runs
# without torch, so nothing heavy may load with the package itself.
_LAZY = {
    "load_model": "handsynth.loaded",
    "LoadedModel": "handsynth.loaded",
    "SynthesisModel": "handsynth.loaded",
    "PredictionModel": "handsynth.loaded",
    "TextModel": "handsynth.loaded",
    "RecogniserModel": "handsynth.loaded",
    "Handwriting": "handsynth.write.handwriting",
    "WriteOptions": "handsynth.options",
    "RenderOptions": "handsynth.write.render",
    "UserError": "handsynth.errors",
    "FieldError": "handsynth.errors",
    "CheckpointError": "handsynth.errors",
    "TextError": "handsynth.write.lines",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'handsynth' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
