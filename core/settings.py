"""The one settings object of Interview Coach, in sections.

Loaded once at the entry point (``load_settings``) and passed down; each component takes its
section (the index takes ``paths`` and ``chunking``, the retriever ``retrieval``, ...).  Nothing
else reads the environment.

Sources, highest priority first: keyword arguments (command-line flags), ``COACH_*`` environment
variables, a TOML file (``COACH_CONFIG``, default ``coach.toml`` in the working directory, if
present), then the defaults below.  Every field keeps one flat name, so its variable is
``COACH_<FIELD>`` whatever its section (``COACH_K``, ``COACH_CORPUS_DIR``); in the TOML file a field
may be written in its section (``[retrieval]`` ``k = 5``) or at the top (``k = 5``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Section):
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of notes (.md, .markdown, .txt), read recursively.")
    data_dir: Path = Field(PROJECT_ROOT / ".coach-data", description="Index (Chroma store, record manager, chunks, question bank), model cache, progress DB.")
    collection: str = Field("notes", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$",
                            description="Chroma collection name (3-63 letters, digits, . _ -).")
    progress_url: str | None = Field(None, pattern=r"^(postgres|postgresql(\+psycopg)?|sqlite)://", description="Where the interview progress (cards, answers, sessions, gaps) is kept instead of `<data_dir>/progress.sqlite`: an SQLAlchemy URL, postgresql://user:password@host:5432/database for a team (one database for every user, each user's rows apart; needs `pip install -e '.[team]'`) or sqlite:////path/file.sqlite.")
    chroma_url: str | None = Field(None, description="A Chroma server (http://host:8000, e.g. `chroma run`) instead of the store embedded in the data folder; the record manager and the snapshot files stay in the data folder.")

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def progress_db(self) -> Path:
        return self.data_dir / "progress.sqlite"

    @property
    def reports_dir(self) -> Path:
        """Session reports of the mock interviews (Markdown)."""
        return self.data_dir / "reports"


class ChunkingSettings(_Section):
    chunk_max_words: int = Field(180, ge=40, description="Sections longer than this are split again, heading repeated.")
    chunk_min_words: int = Field(25, ge=0, description="Fragments shorter than this are merged into a neighbour.")
    large_note_bytes: int = Field(1_000_000, ge=1, description="A note file larger than this gets a warning when indexing starts on it (reading and embedding it takes minutes); it is still indexed.")


class RetrievalSettings(_Section):
    k: int = Field(5, ge=1, le=20, description="Hits returned by `coach retrieve`.")
    fetch_k: int = Field(20, ge=5, description="Candidates taken from each ranking before fusion.")
    rrf_k: int = Field(20, ge=1, description="Reciprocal rank fusion constant (tuned on the golden set's tuning part).")
    dedup_threshold: float = Field(0.92, ge=0.5, le=1.0, description="Cosine above which a lower-ranked section is a near-duplicate and dropped.")
    min_relevance: float = Field(0.34, description="Best cosine below which the notes are taken not to cover a question (tuned on the golden set's tuning part).")
    followup_below: float = Field(0.45, description="With history, a question matching less than this is also searched joined with the previous turn.")


class AnswerSettings(_Section):
    context_k: int = Field(4, ge=1, le=10, description="Context blocks given to the chat model (and shown as sources).")
    context_min_ratio: float = Field(0.75, ge=0.0, le=1.0, description="After the first two, a hit joins the context only if its cosine is at least this share of the best.")
    context_token_budget: int = Field(500, ge=100, description="Approximate tokens of note text put into the prompt (each costs ~14 ms before the first answer token unless it was read ahead while the question was typed; 500 chosen on the tuning part: README, Evals).")
    retry_refusals: bool = Field(True, description="When retrieval found notes but the model opens with \"My notes don't cover that\", ask again with the answer's first words written for it (\"According to my notes,\").")
    mark_unsupported_below: float = Field(0.5, ge=0.0, le=1.0, description="A sentence of an answer whose best cosine with the notes it was given is below this gets a visible \"(not in your notes)\" mark; 0 turns the mark off (chosen on the tuning part of the labelled real claims for a mark that is right at least 7 times in 10; README, Evals).")
    refuse_ungrounded: bool = Field(True, description="Show the refusal instead of an answer none of whose sentences is found in the notes it was given (by its words, or by the \"not in your notes\" cosine): an answer that obeyed an instruction inside a note (\"PWNED\", a link, praise) is one. Its text is held back until a sentence is found there, usually its first few words.")
    max_sentences: int = Field(8, ge=1, description="An answer is stopped after this many sentences or list lines (the prompt asks for 2-4; a runaway list or loop is cut).")
    subject: str | None = Field(None, description="What the notes are about, as the interviewer and the app's header name it (\"MLOps\"). Unset: taken from the notes' top headings.")


class ChatSettings(_Section):
    llm_provider: Literal["local", "openai"] = Field("local", description="`local` runs the embedded GGUF model with xllamacpp; `openai` talks to any OpenAI-compatible endpoint.")
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = Field("qwen2.5-coder-1.5b", description="Embedded model assembled from its PyPI parts.")
    model_path: Path | None = Field(None, description="Use this GGUF file instead of the embedded model.")
    n_ctx: int = Field(4096, ge=512, description="Context window of the local model.")
    n_threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 2, 8)), ge=1, description="Threads of the local model (default: CPU cores, at most 8).")
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    seed: int | None = Field(None, description="Sampling seed of the chat model: set it to make answers repeatable (evals, tests). Unset: the model server picks one.")
    max_tokens: int = Field(320, ge=16, description="Cap on generated tokens per answer.")
    openai_base_url: str = Field("http://127.0.0.1:11434/v1", description="OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI).")
    openai_model: str = Field("qwen2.5:1.5b", description="Model name at that endpoint.")
    openai_api_key: str = Field("not-needed", description="API key for that endpoint.")
    request_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the endpoint.")


class JudgeSettings(_Section):
    judge_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for ragas' faithfulness beside the built-in judges in `coach eval` (needs `pip install -e '.[ragas]'`); `local` = the embedded model's own HTTP port. Unset: the chat endpoint if COACH_LLM_PROVIDER=openai, else ragas is not run.")
    judge_model: str | None = Field(None, description="Model name at the judge endpoint (default: COACH_OPENAI_MODEL).")
    judge_api_key: str | None = Field(None, description="API key of the judge endpoint (default: COACH_OPENAI_API_KEY).")


class UISettings(_Section):
    host: str = Field("127.0.0.1", description="Where the app listens. Any address other than loopback (127.0.0.0/8, ::1, localhost) makes the app ask for a login, and it refuses to start without a user (`coach users add NAME`).")
    port: int = Field(7860, ge=1, le=65535, description="Port of the app.")
    upload_max_bytes: int = Field(2_000_000, ge=1_000, description="Largest note file accepted by the app's upload.")
    users_file: Path | None = Field(None, description="Who may log in to the app: user names and salted scrypt password hashes, edited with `coach users add/list/remove`. Unset: `<data_dir>/users.json`.")
    require_login: bool = Field(False, description="Ask for a login on a loopback host too (at least one user needed); each user then has their own progress. A host reachable from the network always asks.")
    tls_certfile: Path | None = Field(None, description="Serve over HTTPS with this certificate (PEM), with `tls_keyfile`: browsers allow the microphone only on https:// or on the machine itself, so a phone needs it (see \"A phone\").")
    tls_keyfile: Path | None = Field(None, description="The private key (PEM) of `tls_certfile`.")

    @model_validator(mode="after")
    def _tls_pair(self):
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("set both COACH_TLS_CERTFILE and COACH_TLS_KEYFILE (or neither)")
        for path in (self.tls_certfile, self.tls_keyfile):
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{path} is not a file (COACH_TLS_CERTFILE / COACH_TLS_KEYFILE)")
        return self


class SpeechSettings(_Section):
    speech_model: Literal["tiny.en", "base"] = Field("tiny.en", description="Whisper weights for speech-to-text (the `speech` extra ships both): `tiny.en` (75 MB; the one that finishes within 1.5 s of the end of speech on 2 cores) or `base` (145 MB, about twice as slow).")
    speech_threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 2, 4)), ge=1, description="CPU threads for a whole recording and for the last seconds after the candidate stops speaking (default: CPU cores, at most 4).")
    speech_background_threads: int = Field(1, ge=1, description="CPU threads for the segments transcribed while the candidate is still speaking, kept low so a chat answer being generated meanwhile is not stalled.")
    speech_hotwords: bool = Field(True, description="Give the recogniser the notes' vocabulary for the current question (section titles, tool names such as MLflow, DVC, PSI) as its initial prompt.")
    keep_audio: bool = Field(False, description="Keep the recorded answers' audio; off: audio is dropped as soon as it is transcribed.")


SECTIONS: dict[str, type[_Section]] = {
    "paths": PathSettings, "chunking": ChunkingSettings, "retrieval": RetrievalSettings, "answer": AnswerSettings,
    "chat": ChatSettings, "judge": JudgeSettings, "ui": UISettings, "speech": SpeechSettings,
}
FIELD_SECTION: dict[str, str] = {f: s for s, model in SECTIONS.items() for f in model.model_fields}


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """``{"k": 3, "ui": {"port": 1}}`` -> ``{"retrieval": {"k": 3}, "ui": {"port": 1}}``; a flat
    name wins over the same field given in its section.  Unknown names are kept (and rejected)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECTIONS and isinstance(value, dict):
            out[key] = {**value, **out.get(key, {})}
        elif key in FIELD_SECTION:
            out.setdefault(FIELD_SECTION[key], {})[key] = value
        else:
            out[key] = value
    return out


class _FlatEnvSource(PydanticBaseSettingsSource):
    """``COACH_<FIELD>`` variables, put into the field's section.  An empty value means unset."""

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {name: os.environ[f"COACH_{name.upper()}"] for name in FIELD_SECTION
                 if os.environ.get(f"COACH_{name.upper()}", "").strip()}
        return nest(found)


class _TomlSource(PydanticBaseSettingsSource):
    """The TOML file, sections or flat names (``COACH_CONFIG``, default ``./coach.toml``)."""

    def get_field_value(self, field, field_name):  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("COACH_CONFIG", "coach.toml"))
        if not path.is_file():
            if "COACH_CONFIG" in os.environ:
                raise SettingsError(f"the settings file {path} (COACH_CONFIG) does not exist")
            return {}
        try:
            return nest(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SettingsError(f"the settings file {path} is not valid TOML: {e}") from e


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    paths: PathSettings = Field(default_factory=PathSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    ui: UISettings = Field(default_factory=UISettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_names(cls, data: Any) -> Any:
        return nest(data) if isinstance(data, dict) else data

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _FlatEnvSource(settings_cls), _TomlSource(settings_cls))

    def replace(self, **flat: Any) -> "Settings":
        """A copy with some fields changed, by flat name: ``settings.replace(data_dir=tmp)``."""
        update = {}
        for section, values in nest(flat).items():
            if section not in SECTIONS:
                raise SettingsError(f"unknown setting {section!r}")
            update[section] = SECTIONS[section].model_validate({**getattr(self, section).model_dump(), **values})
        return self.model_copy(update=update)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once; ``overrides`` (flat names; ``None`` = not given) win over env and
    file.  Invalid values raise ``SettingsError`` naming the setting."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'][-1:]) or '?'}: {err['msg']}" for err in e.errors())
        raise SettingsError(f"invalid settings: {problems}") from None
