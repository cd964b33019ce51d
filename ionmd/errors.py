"""Exceptions that carry a message meant for the user (printed as one line)."""


class IonmdError(Exception):
    """Base class: a clear, one-line problem with the user's input or files."""


class InputError(IonmdError, ValueError):
    """A structure, trajectory or configuration that ionmd refuses."""


class ModelLoadError(IonmdError, RuntimeError):
    """A force model that cannot be found or loaded."""
