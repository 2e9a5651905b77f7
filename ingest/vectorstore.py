"""The vector store adapter: a persistent local Chroma collection with cosine distance."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore


def make_vector_store(folder: Path, collection: str, embeddings: Embeddings) -> VectorStore:
    """Open (or create) the notes collection in ``folder``.  Our own embedding function is always
    passed: Chroma's default one would try to download an ONNX model."""
    import chromadb
    from langchain_chroma import Chroma

    folder.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(folder),
        settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True),
    )
    return Chroma(
        collection_name=collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={"hnsw:space": "cosine"},
    )
