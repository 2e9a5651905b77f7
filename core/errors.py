"""Every failure a user can act on is a ``CoachError``: its text is one sentence meant for people.

The CLI and the web app catch this one class (and show ``str(error)``); anything else is a bug
and is reported as one, with its traceback logged.
"""

from __future__ import annotations


class CoachError(Exception):
    """A failure the user can fix; ``str()`` says what happened and what to do."""


class SettingsError(CoachError):
    """A setting (flag, ``COACH_*`` variable, TOML file) has an invalid value."""


class CorpusError(CoachError):
    """The notes folder is missing, not a folder, or holds no notes."""


class IndexNotBuilt(CoachError):
    """The notes have not been indexed yet (or the store lost part of the index)."""


class IndexDamaged(CoachError):
    """The index files or the vector store are damaged; ``coach ingest --rebuild`` builds them
    again from the notes (nothing of the user's is lost: the notes are the source)."""


class VectorStoreError(CoachError):
    """The Chroma server (``COACH_CHROMA_URL``) cannot be reached or refused a request."""


class ProgressStoreError(CoachError):
    """The progress database cannot be opened or used: an unreadable or read-only file, a bad
    ``COACH_PROGRESS_URL``, its driver missing, or its server not answering."""


class NoteUnreadable(CoachError):
    """A note file is binary or not text in any encoding we read."""


class IndexBusy(CoachError):
    """Another build replaced the index while it was being read; asking again works."""


class UploadError(CoachError):
    """An uploaded file cannot be accepted; ``str()`` says why."""


class ModelFilesError(CoachError):
    """The embedded chat model's files are missing, corrupt or cannot be assembled."""


class EndpointError(CoachError):
    """The OpenAI-compatible chat endpoint cannot be reached or answered with an error."""


class ChatModelError(CoachError):
    """The local chat model failed to load or refused a request (bad GGUF, context overflow).

    ``code``/``kind`` carry the server's error code and type when it gave them."""

    def __init__(self, message: str, *, code: int | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind


class UsersError(CoachError):
    """A user name or password is not usable, or the users file cannot be read (``core.users``)."""


class LoginRequired(CoachError):
    """The web app would be open to the network (or a login was asked for) without any user to log in."""


class SpeechUnavailable(CoachError):
    """Speech-to-text cannot run here: the ``speech`` extra (faster-whisper and its weights) is not
    installed or its weights are damaged; ``str()`` says how to install it (the app hides the mic)."""


class AudioUnreadable(CoachError):
    """An audio file or recording cannot be read (not a PCM WAV file, empty, unsupported samples)."""
