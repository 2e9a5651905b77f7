"""The same incremental ingest against a real Chroma server (``chroma run``), started here and
stopped after the module."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import VectorStoreError
from core.settings import Settings
from rag.services import build_services

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    import urllib.request

    from conftest import free_port

    assert CHROMA.exists() or shutil.which("chroma"), "the chroma CLI (chromadb's `chroma run`) is not installed"
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(folder / "db"),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, (folder / "server.log").read_text(errors="replace")
                time.sleep(0.1)
        else:
            pytest.fail("chroma run did not answer within 30 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_ingest_against_a_chroma_server_is_incremental(chroma_url, tmp_path, small_corpus, fake_embeddings):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", chroma_url=chroma_url, collection="team-notes")
    services = build_services(settings, embeddings=fake_embeddings)
    first = services.ingest()
    assert first.embedded == first.chunks > 10
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    import chromadb

    server = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    assert server.get_collection("team-notes").count() == first.chunks

    note = small_corpus / "003_eba972981bf49b22.txt"
    note.write_text(note.read_text().replace("doesn't bloat the Git server", "keeps the Git server small"))
    again = services.ingest()
    assert again.updated == 1 and again.embedded == 1
    assert server.get_collection("team-notes").count() == first.chunks
    assert len(services.index.snapshot().chunks) == first.chunks

    rebuilt = services.ingest(rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks == first.chunks
    assert server.get_collection("team-notes").count() == first.chunks


def test_an_unreachable_chroma_server_is_one_sentence(tmp_path, small_corpus, fake_embeddings):
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", chroma_url=url),
                              embeddings=fake_embeddings)
    with pytest.raises(VectorStoreError, match=r"the Chroma server at http://127\.0\.0\.1:\d+ cannot be reached .*chroma run"):
        services.ingest()
