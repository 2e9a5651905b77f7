"""The vector store adapter: a Chroma collection with cosine distance, embedded in the data folder
or on a Chroma server (``COACH_CHROMA_URL``, e.g. ``chroma run`` for a team)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from core.errors import VectorStoreError


def make_vector_store(where: Path | str, collection: str, embeddings: Embeddings) -> VectorStore:
    """Open (or create) the notes collection: ``where`` is a folder (the embedded store) or an
    ``http(s)://host:port`` URL (a Chroma server).  Our own embedding function is always passed:
    Chroma's default one would try to download an ONNX model.

    Each call opens a fresh client: chromadb shares one system per path within a process and keeps
    its caches, which go stale when another process (``coach ingest`` beside the app) wrote the store."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from langchain_chroma import Chroma

    SharedSystemClient.clear_system_cache()
    settings = chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)
    if isinstance(where, str):
        client = _server_client(where, settings)
    else:
        where.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(where), settings=settings)
    return Chroma(
        collection_name=collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={"hnsw:space": "cosine"},
    )


def _server_client(url: str, settings):
    import chromadb

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VectorStoreError(f"COACH_CHROMA_URL must look like http://host:8000, not {url!r}")
    try:
        return chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 8000),
                                   ssl=parts.scheme == "https", settings=settings)
    except Exception as e:  # chromadb checks the server on connect; its errors vary by version
        raise VectorStoreError(f"the Chroma server at {url} cannot be reached ({type(e).__name__}: {e}); "
                               "start it (`chroma run --path DIR --port PORT`) or unset COACH_CHROMA_URL") from e
