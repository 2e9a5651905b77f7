"""Build the chat model named by the settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ModelFilesError
from rag.llm.model_files import Progress, ensure_model

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from core.settings import ChatSettings


def resolve_model_path(settings: ChatSettings, cache_dir: Path, progress: Progress | None = None) -> Path:
    """``settings.model_path`` if given (must exist), else the embedded model assembled into ``cache_dir``."""
    if settings.model_path is not None:
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise ModelFilesError(f"The model file {path} (COACH_MODEL_PATH) does not exist.")
        return path
    return ensure_model(settings.local_model, cache_dir, progress=progress)


def make_chat_model(
    settings: ChatSettings,
    cache_dir: Path,
    *,
    preload: bool = True,
    progress: Progress | None = None,
    server_options: dict[str, Any] | None = None,
) -> BaseChatModel:
    """The chat model for ``settings.llm_provider``.

    * ``local``: assemble/verify the embedded GGUF (or use ``model_path``) and return an
      :class:`~rag.llm.xllama.XLlamaChatModel`; with ``preload`` the model is loaded now (2-4 s, once
      per process) so a broken file fails at startup rather than at the first question.
    * ``openai``: check that the endpoint answers (3 s), then return a ``ChatOpenAI``.

    Raises ``ModelFilesError`` / ``EndpointError`` / ``ChatModelError`` with a sentence for the user.
    """
    if settings.llm_provider == "openai":
        from rag.llm.openai_compat import check_endpoint, make_openai_chat

        check_endpoint(settings)
        return make_openai_chat(settings)

    from rag.llm.xllama import XLlamaChatModel

    path = resolve_model_path(settings, cache_dir, progress=progress)
    model = XLlamaChatModel(
        model_path=str(path),
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        temperature=settings.temperature,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
        server_options=dict(server_options or {}),
    )
    if preload:
        model.load()
    return model



def with_grammar(llm: BaseChatModel, grammar: str) -> BaseChatModel:
    """``llm`` bound to a llama.cpp GBNF ``grammar`` (the output format is forced, not repaired
    afterwards) when it is the in-process llama.cpp model; other chat models are returned as they are."""
    return llm.bind(grammar=grammar) if getattr(llm, "_llm_type", "") == "xllamacpp" else llm
