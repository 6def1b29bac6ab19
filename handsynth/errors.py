"""The error types for problems with what a user gave or asked for.

The command line prints a `UserError` as one line and exits with status 2; any other exception is a
bug in handsynth and keeps its traceback. It subclasses ValueError, so callers of the library that
catch ValueError keep working.
"""


class UserError(ValueError):
    """Bad input, a bad file or an impossible request, with what to do about it."""


class FieldError(UserError):
    """A UserError about one argument: a Python argument, an options field or a JSON field.

    The library names it as the caller wrote it (`style_text`); the command line names its flag
    instead (`--style-text`, `FieldError.naming`). `problem` says what is wrong, with `{field}`
    where the name goes; without one, the name leads: "bias: must be a number ...".
    """

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(self.naming(field))

    def naming(self, name: str) -> str:
        """The message with `name` for the argument."""
        if "{field}" in self.problem:
            return self.problem.replace("{field}", name)
        return f"{name}: {self.problem}"


class CheckpointError(UserError):
    """A model file or checkpoint that is missing, damaged, or not one of ours."""


class DiskError(UserError):
    """A file could not be written or read back: a full disk, a lost permission, an I/O error."""
