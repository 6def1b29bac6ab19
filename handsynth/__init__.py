"""handsynth: handwriting synthesis with the recurrent mixture density networks of Graves (2013)."""

__version__ = "0.1.0"
