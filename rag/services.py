"""The composition of one process: each outside dependency from its factory, each component
given its settings section.  Built once at the entry point; tests hand in fakes through the
keyword arguments (``build_services(settings, embeddings=..., chat_model=...)``)."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from core.settings import Settings
from ingest.index import IngestReport, NoteIndex, Notify, Progress
from ingest.models import QuestionItem

if TYPE_CHECKING:
    from rag.chain import AnswerChain
    from rag.interview.scheduler import ProgressStore
    from rag.interview.session import Interview
    from rag.retriever import HybridRetriever
    from rag.speech.jargon import Vocabulary
    from rag.speech.stt import Transcriber


class Services:
    def __init__(self, settings: Settings, *, embeddings: Embeddings | None = None,
                 chat_model: BaseChatModel | None = None, transcriber: Transcriber | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._chat_model = chat_model
        self._transcriber = transcriber
        self._vocabulary: tuple[tuple, Vocabulary] | None = None
        self._speech_lock = threading.Lock()
        self._user_stores: dict[str, ProgressStore] = {}
        self._user_stores_lock = threading.Lock()

    @cached_property
    def embeddings(self) -> Embeddings:
        if self._embeddings is not None:
            return self._embeddings
        from rag.embeddings import make_embeddings

        return make_embeddings()

    @cached_property
    def index(self) -> NoteIndex:
        return NoteIndex(self.settings.paths, self.settings.chunking, self.embeddings)

    @cached_property
    def retriever(self) -> HybridRetriever:
        from rag.retriever import HybridRetriever

        return HybridRetriever(settings=self.settings.retrieval, embeddings=self.embeddings, index=self.index)

    @property
    def chat_model_loaded(self) -> bool:
        return "chat_model" in self.__dict__

    @cached_property
    def chat_model(self) -> BaseChatModel:
        if self._chat_model is not None:
            return self._chat_model
        from rag.llm import make_chat_model

        return make_chat_model(self.settings.chat, self.settings.paths.model_cache_dir)

    def speech_problem(self) -> str | None:
        """Why there is no speech input here (one sentence), or None; loads no model."""
        if self._transcriber is not None:  # handed in, or loaded already
            return None
        from rag.speech.stt import speech_problem

        return speech_problem(self.settings.speech, self.settings.paths.model_cache_dir)

    @property
    def transcriber(self) -> Transcriber:
        """Speech-to-text (``rag.speech.stt.make_transcriber``), loaded once, on first use (the
        warm-up or a first recording, whichever comes first); raises ``SpeechUnavailable`` without
        the speech extra."""
        with self._speech_lock:
            if self._transcriber is None:
                from rag.speech.stt import make_transcriber

                self._transcriber = make_transcriber(self.settings.speech, self.settings.paths.model_cache_dir)
            return self._transcriber

    def vocabulary(self) -> Vocabulary:
        """The notes' vocabulary for speech (prompts, delivery terms), worked out again only when
        the question bank changes."""
        from rag.speech.jargon import Vocabulary

        bank = self.question_bank()
        key = tuple(q.qid for q in bank)
        if self._vocabulary is None or self._vocabulary[0] != key:
            self._vocabulary = (key, Vocabulary(bank, self.subject))
        return self._vocabulary[1]

    @cached_property
    def chain(self) -> AnswerChain:
        from rag.chain import AnswerChain

        return AnswerChain(self.settings.answer, self.retriever, self.chat_model)

    @cached_property
    def progress_store(self) -> ProgressStore:
        from rag.interview.scheduler import ProgressStore

        return ProgressStore(self.settings.paths.progress_url or self.settings.paths.progress_db)

    def progress_for(self, user: str | None = None) -> ProgressStore:
        """The progress store of ``user``, one logged-in user of the app; ``None`` (no login): the
        single-user ``progress_store``.  The one place that decides which store serves which user
        (a file each, ``core.users.user_progress_db``; with ``COACH_PROGRESS_URL`` one database, rows keyed by user)."""
        if not user:
            return self.progress_store
        from core.users import user_key, user_progress_db
        from rag.interview.scheduler import ProgressStore

        key = user_key(user)
        with self._user_stores_lock:
            if key not in self._user_stores:
                url = self.settings.paths.progress_url
                self._user_stores[key] = (ProgressStore(url, user=key) if url
                                          else ProgressStore(user_progress_db(self.settings, key)))
            return self._user_stores[key]

    def reports_dir_for(self, user: str | None = None) -> Path:
        """Where ``user``'s session reports go (``None``: the single-user reports folder)."""
        from core.users import user_reports_dir

        return user_reports_dir(self.settings, user) if user else self.settings.paths.reports_dir

    def _progress_stores(self) -> list[ProgressStore]:
        """The single-user store and the store of every user who has practised (found on disk, or
        in the ``COACH_PROGRESS_URL`` database)."""
        from core.users import users_with_progress

        if self.settings.paths.progress_url:
            names = [name for name in self.progress_store.users() if name]
        else:
            names = users_with_progress(self.settings)
        return [self.progress_store] + [self.progress_for(name) for name in names]

    @property
    def subject(self) -> str:
        """What the notes are about: the ``subject`` setting, else guessed from the index."""
        from rag.subject import guess_subject, top_headings

        return self.settings.answer.subject or guess_subject(top_headings(self.question_bank()))

    def question_bank(self) -> list[QuestionItem]:
        return self.index.questions()

    def new_interview(self, *, topics: list[str] | None = None, count: int = 5, weak: bool = False,
                      rng=None, level: str | None = None, user: str | None = None) -> Interview:
        """Plan a session from the question bank (due cards first) and return an ``Interview``.
        ``level`` (one of ``rag.interview.levels.LEVELS``) starts it at that level and makes it
        adaptive: the rest of the ordered bank is kept as the questions it can move to.  ``user``:
        whose progress it reads and records (``progress_for``)."""
        from rag.interview.scheduler import plan_session
        from rag.interview.session import Interview

        bank = self.question_bank()
        store = self.progress_for(user)
        ordered = plan_session(bank, store, count if level is None else len(bank),
                               topics=topics or None, weak=weak, rng=rng, level=level)
        plan, reserve = ordered[: max(0, count)], ordered[max(0, count):]
        return Interview(plan=plan, store=store, retriever=self.retriever, llm=self.chat_model,
                         embeddings=self.embeddings, subject=self.subject, mode="weak" if weak else "topics",
                         report_dir=self.reports_dir_for(user), level=level, reserve=reserve,
                         vocabulary=self.vocabulary())

    def ingest(self, progress: Progress | None = None, notify: Notify | None = None,
               rebuild: bool = False) -> IngestReport:
        """Index the notes (``NoteIndex.build``), then keep the interview history in step with them
        (every user's: a reworded question keeps its card; a removed one is archived)."""
        report = self.index.build(progress=progress, notify=notify, rebuild=rebuild)
        questions = self.index.questions()
        kept: dict[str, list] = {"moved": [], "archived": []}
        for store in self._progress_stores():
            for key, qids in store.reconcile(questions).items():
                kept.setdefault(key, []).extend(q for q in qids if q not in kept[key])
        if kept["moved"]:
            report.warnings.append(f"kept the practice history of {len(kept['moved'])} reworded question(s)")
        if kept["archived"]:
            report.warnings.append(f"archived the practice history of {len(kept['archived'])} question(s) "
                                   "no longer in the notes (it comes back if they do)")
        return report


def build_services(settings: Settings, **fakes) -> Services:
    return Services(settings, **fakes)
