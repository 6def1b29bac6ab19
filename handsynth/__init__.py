"""handsynth: handwriting synthesis with the recurrent mixture density networks of Graves (2013).

`load_model()` loads the shipped synthesis model (or a `.pt`/`.safetensors` file, or with `kind=`
the shipped prediction or text model); its `write`, `sample` and `generate` methods do the work and
`Handwriting.save` writes SVG or PNG. See the README's "Python API".
"""

__version__ = "0.1.0"
__all__ = ["Handwriting", "LoadedModel", "__version__", "load_model"]

# The front door's names load torch, so they are imported on first use (PEP 562): the command line
# imports this package for --help and --version, which need none of it.
_LAZY = {
    "Handwriting": "handsynth.write.handwriting",
    "LoadedModel": "handsynth.loaded",
    "load_model": "handsynth.loaded",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'handsynth' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
