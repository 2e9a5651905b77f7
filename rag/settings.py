"""The one settings object of Interview Coach.

Loaded once at the edge (CLI, UI entry point) and passed down; nothing else reads the
environment.  Sources, highest priority first: explicit keyword arguments, ``COACH_*``
environment variables, the TOML file named by ``COACH_CONFIG`` (default ``coach.toml`` in
the working directory, if present), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore")

    # --- where things live -------------------------------------------------------------
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of notes (.md, .markdown, .txt), read recursively.")
    data_dir: Path = Field(PROJECT_ROOT / ".coach-data", description="Chroma store, record manager, question bank, model cache, progress DB.")
    collection: str = Field("notes", min_length=3, description="Chroma collection name.")

    # --- chunking ----------------------------------------------------------------------
    chunk_max_words: int = Field(180, ge=40, description="Sections longer than this are split again, heading repeated.")
    chunk_min_words: int = Field(25, ge=0, description="Fragments shorter than this are merged into a neighbour.")

    # --- retrieval ---------------------------------------------------------------------
    k: int = Field(5, ge=1, le=20, description="Hits returned by `coach retrieve` / used as sources.")
    context_k: int = Field(4, ge=1, le=10, description="Context blocks given to the chat model.")
    fetch_k: int = Field(20, ge=5, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(20, ge=1, description="Reciprocal rank fusion constant (tuned on the golden set).")
    dedup_threshold: float = Field(0.92, ge=0.5, le=1.0, description="Cosine above which a lower-ranked hit is a near-duplicate.")
    min_relevance: float = Field(0.34, description="Best vector cosine below which the notes are taken not to cover a question (calibrated on the golden set: out-of-scope max 0.32, in-scope min 0.37).")
    followup_below: float = Field(0.45, description="With history, a question whose best cosine is below this is also searched joined with the previous turn.")
    context_min_ratio: float = Field(0.75, ge=0.0, le=1.0, description="After the first two, a hit joins the context only if its cosine is at least this share of the best.")
    context_token_budget: int = Field(300, ge=100, description="Approximate tokens of note text put into the prompt (each costs ~16 ms before the first answer token).")

    # --- chat model --------------------------------------------------------------------
    llm_provider: Literal["local", "openai"] = Field("local", description="`local` runs the embedded GGUF model with xllamacpp; `openai` talks to any OpenAI-compatible endpoint.")
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"] = Field("qwen2.5-coder-1.5b", description="Embedded model assembled from its PyPI parts.")
    model_path: Path | None = Field(None, description="Use this GGUF file instead of the embedded model.")
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 2, 8)))
    temperature: float = Field(0.1, ge=0.0, le=2.0)
    seed: int | None = Field(None, description="Sampling seed of the chat model: set it to make answers repeatable (evals, tests). Unset: the model server picks one.")
    retry_refusals: bool = Field(True, description="When retrieval found notes but the model opens with \"My notes don't cover that\", ask again with the answer's first words written for it (\"According to my notes,\").")
    max_tokens: int = Field(320, ge=16, description="Cap on generated tokens per answer.")
    max_sentences: int = Field(8, ge=1, description="An answer is stopped after this many sentences or list lines (the prompt asks for 2-4; a runaway list or loop is cut).")
    openai_base_url: str = Field("http://127.0.0.1:11434/v1", description="OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI).")
    openai_model: str = Field("qwen2.5:1.5b")
    openai_api_key: str = Field("not-needed")
    request_timeout: float = Field(120.0, gt=0)

    # --- evals -------------------------------------------------------------------------
    judge_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for ragas' faithfulness beside the built-in judges in `coach eval` (needs `pip install -e '.[ragas]'`); `local` = the embedded model's own HTTP port. Unset: the chat endpoint if COACH_LLM_PROVIDER=openai, else ragas is not run.")
    judge_model: str | None = Field(None, description="Model name at the judge endpoint (default: COACH_OPENAI_MODEL).")
    judge_api_key: str | None = Field(None, description="API key of the judge endpoint (default: COACH_OPENAI_API_KEY).")

    # --- UI ----------------------------------------------------------------------------
    host: str = Field("127.0.0.1")
    port: int = Field(7860, ge=1, le=65535)
    upload_max_bytes: int = Field(2_000_000, ge=1_000)

    # --- paths derived from data_dir ---------------------------------------------------
    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def record_db(self) -> Path:
        return self.data_dir / "records.sqlite"

    @property
    def chunks_file(self) -> Path:
        return self.data_dir / "chunks.jsonl"

    @property
    def questions_file(self) -> Path:
        return self.data_dir / "questions.jsonl"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def progress_db(self) -> Path:
        return self.data_dir / "progress.sqlite"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("COACH_CONFIG", "coach.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


def load_settings(**overrides) -> Settings:
    """Build the settings once; ``overrides`` win over env and file (CLI flags use this)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
