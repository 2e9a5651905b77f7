"""Work done while the user types: process the fixed part of a prompt ahead of time.

Every prompt token costs ~14 ms on 2 cores before the first word of a reply.  Much of a prompt is
known before the user presses Enter: the interviewer's feedback prompt (notes, question, key
points, instructions) when the question is asked, the answer prompt's notes once the question is
half typed, and the user's own words as they come.  ``Prefiller.submit`` hands the latest prefix
to one background worker, which asks the chat model to process it (one token generated, llama.cpp
keeps the prompt in its cache).  A prefix submitted while another is being processed replaces any
that was waiting (only the newest text matters); after Enter only the tokens not yet processed
remain.  ``cut_after`` builds such a prefix from a prompt's messages.

Chat models that cannot prefill (no ``prefill`` method, e.g. a remote endpoint) are left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


def whole_words(text: str) -> str:
    """``text`` (spaces normalised) up to its last whole word: the word being typed may still
    grow, unless a space or a sentence mark follows it."""
    norm = " ".join(text.split())
    if not norm or text[-1].isspace() or norm[-1] in ".?!":
        return norm
    return norm[: max(0, norm.rfind(" "))]


def cut_after(messages: Sequence, mark: str, typed: str = "") -> list:
    """``messages`` with the last one cut just after ``mark`` (and ``typed``, the user's text so
    far, when it is there): the part of the prompt that is known now."""
    last = messages[-1]
    cut = last.content.index(mark) + len(mark)
    if typed:
        rest = last.content[cut:]
        if rest.lstrip().startswith(typed):
            cut += len(rest) - len(rest.lstrip()) + len(typed)
    return [*messages[:-1], last.model_copy(update={"content": last.content[:cut]})]


def can_prefill(llm) -> bool:
    return callable(getattr(llm, "prefill", None))


class Prefiller:
    def __init__(self, llm) -> None:
        self.llm = llm
        self.enabled = can_prefill(llm)
        self._lock = threading.Lock()
        self._pending: Sequence | None = None
        self._last: list | None = None  # the last prefix processed (to skip repeats)
        self._worker: threading.Thread | None = None
        self.done = 0  # prefixes processed (tests, the benchmark)
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, messages: Sequence) -> bool:
        """Queue ``messages`` to be processed in the background; False when this model cannot."""
        if not self.enabled:
            return False
        with self._lock:
            self._pending = list(messages)
            self.idle.clear()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="coach-prefill", daemon=True)
                self._worker.start()
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                messages, self._pending = self._pending, None
                if messages is None:
                    self._worker = None
                    self.idle.set()
                    return
            if messages == self._last:
                continue
            try:
                self.llm.prefill(messages)
                self._last = messages
                self.done += 1
            except Exception as e:  # an optimisation only: the real request will report errors
                log.warning("prefill failed: %s", e)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending (the benchmark measures with and without)."""
        return self.idle.wait(timeout)
