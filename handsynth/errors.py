"""The one error type for problems with what a user gave or asked for.

The command line prints a `UserError` as one line and exits with status 2; any other exception is a
bug in handsynth and keeps its traceback. It subclasses ValueError, so callers of the library that
catch ValueError keep working.
"""


class UserError(ValueError):
    """Bad input, a bad file or an impossible request, with what to do about it."""


class CheckpointError(UserError):
    """A model file or checkpoint that is missing, damaged, or not one of ours."""
