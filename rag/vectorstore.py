"""The vector store adapter: a persistent local Chroma collection with cosine distance."""

from __future__ import annotations

import os

from langchain_core.embeddings import Embeddings

from rag.settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def make_vector_store(settings: Settings, embeddings: Embeddings):
    """Open (or create) the notes collection.  Our own embedding function is always passed:
    Chroma's default one would try to download an ONNX model."""
    import chromadb
    from langchain_chroma import Chroma

    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir),
        settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True),
    )
    return Chroma(
        collection_name=settings.collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={"hnsw:space": "cosine"},
    )
