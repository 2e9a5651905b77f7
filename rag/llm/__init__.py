"""Chat models: the embedded GGUF model run in-process (xllamacpp), or any OpenAI-compatible endpoint.

Importing this package is cheap: xllamacpp and langchain_openai are imported on first use.
Their failures are ``core.errors`` classes (``ModelFilesError``, ``EndpointError``, ``ChatModelError``).
"""

from rag.llm.factory import make_chat_model, resolve_model_path, with_grammar
from rag.llm.model_files import MODELS, ensure_model

__all__ = ["MODELS", "ensure_model", "make_chat_model", "resolve_model_path", "with_grammar"]
