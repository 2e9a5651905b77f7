"""Work done while the candidate answers: process the feedback prompt's fixed part ahead of time.

Every prompt token costs ~14 ms on 2 cores before the first word of feedback.  The feedback
prompt's notes, question, key points and instructions are known when the question is asked, and
the answer grows word by word while the candidate types: ``Prefiller.submit`` hands the latest
prefix to one background worker, which asks the chat model to process it (one token generated,
llama.cpp keeps the prompt in its cache).  A prefix submitted while another is being processed
replaces any that was waiting (only the newest text matters); after "Answer" only the tokens not
yet processed remain.

Chat models that cannot prefill (no ``prefill`` method, e.g. a remote endpoint) are left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


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
