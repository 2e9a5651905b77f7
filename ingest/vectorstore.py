"""The vector store adapter: a persistent local Chroma collection with cosine distance."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore


def make_vector_store(folder: Path, collection: str, embeddings: Embeddings) -> VectorStore:
    """Open (or create) the notes collection in ``folder``.  Our own embedding function is always
    passed: Chroma's default one would try to download an ONNX model.

    Each call opens a fresh client: chromadb shares one system per path within a process and keeps
    its caches, which go stale when another process (``coach ingest`` beside the app) wrote the store."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from langchain_chroma import Chroma

    SharedSystemClient.clear_system_cache()
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
