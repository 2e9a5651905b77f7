"""Chat models: the embedded GGUF model run in-process (xllamacpp), or any OpenAI-compatible endpoint.

Importing this package is cheap: xllamacpp and langchain_openai are imported on first use.
"""

from rag.llm.factory import make_chat_model, resolve_model_path
from rag.llm.model_files import MODELS, ModelFilesError, ensure_model
from rag.llm.openai_compat import EndpointError

__all__ = [
    "MODELS",
    "EndpointError",
    "ModelFilesError",
    "XLlamaChatModel",
    "XLlamaError",
    "ensure_model",
    "make_chat_model",
    "resolve_model_path",
]


def __getattr__(name: str):
    # Lazy: rag.llm.xllama pulls in langchain_core's chat model machinery.
    if name in ("XLlamaChatModel", "XLlamaError"):
        from rag.llm import xllama

        return getattr(xllama, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
