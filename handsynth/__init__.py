"""handsynth: handwriting synthesis with the recurrent mixture density networks of Graves (2013).

`load_model()` loads the shipped synthesis model (or a `.pt`/`.safetensors` file, or with `kind=`
the shipped prediction or text model); its `write`, `sample` and `generate` methods do the work and
`Handwriting.save` writes SVG or PNG. See the README's "Python API".
"""

from handsynth.handwriting import Handwriting
from handsynth.loaded import LoadedModel, load_model

__version__ = "0.1.0"
__all__ = ["Handwriting", "LoadedModel", "__version__", "load_model"]
