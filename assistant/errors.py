"""Errors a person can act on.

A `UserError` carries one sentence that says what is wrong and what to do. The CLI prints it
on one line and exits non-zero; the UI shows it in a banner. Anything else is a bug and is
logged with its traceback.
"""


class UserError(Exception):
    """An expected failure: missing model, bad file, no audio device, bad setting."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))


class ModelError(UserError):
    """A model is missing, corrupt or of the wrong kind."""


class AudioDeviceError(UserError):
    """No usable audio device, or the device failed."""


class DownloadError(UserError):
    """A download failed; nothing half-installed was left behind."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for a one-line error; its type's name when
    the message is empty (an `OSError()`, a bare `RuntimeError`)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
