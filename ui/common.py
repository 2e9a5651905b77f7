"""Shared by the tabs: friendly errors, the model's name, the concurrency group."""

from __future__ import annotations

import functools
import inspect
import logging
from pathlib import Path

import gradio as gr

from core.errors import CoachError, IndexNotBuilt
from core.settings import ChatSettings
from ui.render import esc

log = logging.getLogger("coach.ui")

# Handlers that use the models or write the index share one slot: one CPU, one model.
MODEL_GROUP = {"concurrency_id": "coach-model", "concurrency_limit": 1}
# Indexing (re-index, uploads) has a slot of its own: a long note never holds up questions, which
# keep reading the previous index version until the new one is switched in.
INDEX_GROUP = {"concurrency_id": "coach-index", "concurrency_limit": 1}
# Cheap read-only handlers never wait behind a generation.
FREE = {"concurrency_limit": None}


def friendly_message(exc: BaseException) -> str:
    """One sentence for the user; unexpected errors are logged with their traceback."""
    if isinstance(exc, IndexNotBuilt):
        return "Your notes are not indexed yet: open the Notes tab and press Re-index."
    if isinstance(exc, CoachError):
        return str(exc) or exc.__class__.__name__
    log.exception("unexpected error in the UI", exc_info=exc)
    return f"Something went wrong ({exc.__class__.__name__}). The details are in the terminal running the app."


def guarded(fn):
    """Turn any exception of a plain handler into a ``gr.Error`` with a friendly message
    (never a traceback).  Keeps the signature, so ``gr.Progress`` parameters still work."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as e:
                raise gr.Error(esc(friendly_message(e)), print_exception=False) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            raise gr.Error(esc(friendly_message(e)), print_exception=False) from None
    return wrapper


def username(request: gr.Request | None) -> str | None:
    """The logged-in user of a request (Gradio's login page), or None when the app asks for no
    login: the key to their own progress (``Services.progress_for``)."""
    return getattr(request, "username", None) or None


def model_label(settings: ChatSettings) -> str:
    if settings.llm_provider == "openai":
        return settings.openai_model
    if settings.model_path:
        return Path(settings.model_path).stem
    return settings.local_model
