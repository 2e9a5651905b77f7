"""`coach bench --scale`: ingest and retrieval on synthetic note sets N times the notes.

For each size the notes are copied N times with varied words and numbered headings
(``evals.synthetic``) into a temporary folder, indexed into a temporary data folder through the
real path (``NoteIndex.build``, the configured embedding model, Chroma), then searched by the real
retriever over the golden set's questions (follow-ups with their history).  Figures per size:
ingest seconds, chunks/s, the first search (which derives the retriever's arrays for the version),
search p50/p95, resident and peak memory (Linux: peak reset before each phase), and where a search's
time goes (``profile_search``).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.errors import CoachError
from core.settings import Settings
from evals.golden import load_golden
from evals.metrics import percentile
from evals.synthetic import write_synthetic_notes
from ingest.index import NoteIndex
from rag.lexical import tokenize
from rag.retriever import HybridRetriever
from rag.vectors import embed_query_unit

DEFAULT_SIZES = (1, 10, 100)
RETRIEVAL_P50_TARGET_MS = 30.0  # at 100x the notes


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"10,100"`` -> (10, 100); a clear error for anything else."""
    try:
        sizes = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        sizes = ()
    if not sizes or any(n < 1 for n in sizes):
        raise CoachError(f"--scale-sizes takes whole numbers of at least 1, comma-separated (e.g. 10,100), not {text!r}")
    return sizes


# --- memory (Linux /proc; elsewhere the process peak only) -----------------------------------
def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def rss_mb() -> float | None:
    """Resident memory of this process now (MB)."""
    return _status_mb("VmRSS")


def reset_peak() -> bool:
    """Start a new peak-RSS window (Linux: ``clear_refs`` 5 resets VmHWM); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float | None:
    """Peak resident memory since the last ``reset_peak`` (MB)."""
    if (hwm := _status_mb("VmHWM")) is not None:
        return hwm
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- questions -----------------------------------------------------------------------------------
def golden_questions() -> list[tuple[str, list[str]]]:
    """(question, history) of every golden item: a fixed set of real, reworded questions."""
    return [(item["question"], list(item.get("history") or [])) for item in load_golden()]


def _ms(fn: Callable[[], object], repeat: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) * 1000 / repeat


def profile_search(retriever: HybridRetriever, questions: list[tuple[str, list[str]]], limit: int = 30) -> dict:
    """Median ms of each step of a search over this index version, measured on its own: the query
    embedding, the exact vector search (matrix product + sort), BM25 (built here, since its weight
    is 0 it is not built by the retriever) and a title search over one vector per section (random
    unit vectors of the right shape: embedding every title is a one-off cost per version), against
    the whole ``search``.  The rest of a search is fusion, grouping and de-duplication."""
    from rank_bm25 import BM25Okapi

    snap = retriever.searchable()
    qs = [q for q, _ in questions[:limit]]
    t0 = time.perf_counter()
    bm25 = BM25Okapi([tokenize(snap.chunks[i].embed_text) or ["_"] for i in snap.ids])
    bm25_build_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    titles = rng.standard_normal((len(snap.titles), snap.vectors.shape[1])).astype(np.float32)
    titles /= np.linalg.norm(titles, axis=1, keepdims=True)
    steps: dict[str, list[float]] = {k: [] for k in ("embed_query", "vector_matmul", "vector_sort", "bm25_scores",
                                                      "title_matmul", "search_total")}
    for q in qs:
        qvec: list[np.ndarray] = []
        steps["embed_query"].append(_ms(lambda: qvec.append(embed_query_unit(retriever.embeddings, q))))
        sims = snap.vectors @ qvec[0]
        steps["vector_matmul"].append(_ms(lambda: snap.vectors @ qvec[0], repeat=5))
        steps["vector_sort"].append(_ms(lambda: np.argsort(-sims, kind="stable"), repeat=5))
        tokens = tokenize(q) or ["_"]
        steps["bm25_scores"].append(_ms(lambda: bm25.get_scores(tokens)))
        steps["title_matmul"].append(_ms(lambda: titles @ qvec[0], repeat=5))
        steps["search_total"].append(_ms(lambda: retriever.search(q)))
    out = {f"{k}_ms": round(statistics.median(v), 3) for k, v in steps.items() if v}
    out["bm25_build_s"] = round(bm25_build_s, 2)
    out["sections"] = len(snap.titles)
    return out


# --- one size ------------------------------------------------------------------------------------
def bench_size(settings: Settings, embeddings, corpus_dir: Path, times: int, work: Path,
               questions: list[tuple[str, list[str]]], log=print, profile: bool = True) -> dict:
    """Synthesise ``times`` x the notes under ``work``, index them there and search them."""
    notes, data = work / f"notes-{times}x", work / f"data-{times}x"
    write_synthetic_notes(corpus_dir, notes, times)
    s = settings.replace(corpus_dir=notes, data_dir=data)
    index = NoteIndex(s.paths, s.chunking, embeddings)
    step = {"next": 0.0}
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if total and done / total >= step["next"]:
            rate = done / max(time.perf_counter() - started, 1e-6)
            log(f"  {times}x: embedded {done:,} of {total:,} chunks ({rate:.0f}/s)")
            step["next"] = done / total + 0.1

    base_rss = rss_mb()
    reset_peak()
    report = index.build(progress=progress, notify=lambda m: log(f"  note: {m}"))
    fig: dict = {"times": times, "files": report.files, "chunks": report.chunks, "questions_in_notes": report.questions,
                 "embedded": report.embedded, "ingest_s": round(report.seconds, 1),
                 "ingest_chunks_per_s": round(report.embedded / max(report.seconds, 1e-6), 1),
                 "rss_before_mb": base_rss, "ingest_peak_mb": peak_mb(), "rss_after_ingest_mb": rss_mb(),
                 "index_disk_mb": round(sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / 2**20, 1)}
    log(f"  {times}x: {report.chunks:,} chunks indexed in {report.seconds:.1f} s; searching…")
    retriever = HybridRetriever(settings=s.retrieval, embeddings=embeddings, index=index)
    reset_peak()
    fig["first_search_ms"] = round(_ms(lambda: retriever.search("warm up the snapshot")), 1)
    times_ms = [_ms(lambda: retriever.search(q, h)) for q, h in questions]
    fig.update(retrieval_queries=len(times_ms), retrieval_p50_ms=percentile(times_ms, 50),
               retrieval_p95_ms=percentile(times_ms, 95), retrieval_mean_ms=round(statistics.fmean(times_ms), 2),
               retrieval_peak_mb=peak_mb(), rss_after_retrieval_mb=rss_mb())
    if profile:
        fig["profile"] = profile_search(retriever, questions)
    return fig


def bench_scale(settings: Settings, make_services: Callable[[Settings], object], sizes=DEFAULT_SIZES,
                questions: list[tuple[str, list[str]]] | None = None, log=print, profile: bool = True) -> dict:
    """Each size in turn (smallest first), in this process, with one embedding model."""
    questions = golden_questions() if questions is None else questions
    corpus_dir = Path(settings.paths.corpus_dir)
    with tempfile.TemporaryDirectory(prefix="coach-scale-") as tmp:
        services = make_services(settings.replace(data_dir=Path(tmp) / "unused"))
        embeddings = services.embeddings
        embeddings.embed_query("load the model")  # its load is not ingest time
        results = []
        for n in sorted(set(sizes)):
            log(f"scale {n}x: writing {n} copies of the notes, then indexing them (real embeddings)…")
            results.append(bench_size(settings, embeddings, corpus_dir, n, Path(tmp), questions, log, profile))
    figures: dict = {"scale_sizes": [r["times"] for r in results], "scale": results,
                     "retrieval_p50_target_ms": RETRIEVAL_P50_TARGET_MS, "cpu_count": os.cpu_count()}
    if len(results) > 1 and results[0]["chunks"]:
        a, b = results[0], results[-1]
        growth = b["chunks"] / a["chunks"]
        figures["p50_growth_per_chunk_growth"] = round((b["retrieval_p50_ms"] / max(a["retrieval_p50_ms"], 1e-6)) / growth, 3)
    return figures


def summary_lines(figures: dict) -> list[str]:
    """One line per size, for the terminal."""
    lines = []
    for r in figures["scale"]:
        lines.append(f"{r['times']}x: {r['chunks']:,} chunks, ingest {r['ingest_s']} s ({r['ingest_chunks_per_s']}/s), "
                     f"first search {r['first_search_ms']} ms, retrieval p50 {r['retrieval_p50_ms']} ms / p95 "
                     f"{r['retrieval_p95_ms']} ms over {r['retrieval_queries']} questions, memory peak "
                     f"{r['ingest_peak_mb']} MB ingesting / {r['retrieval_peak_mb']} MB searching, resident {r['rss_after_retrieval_mb']} MB")
        if p := r.get("profile"):
            lines.append("    per search (median ms): " + ", ".join(f"{k[:-3]} {v}" for k, v in p.items() if k.endswith("_ms"))
                         + f"; BM25 build {p['bm25_build_s']} s over {r['chunks']:,} chunks")
    return lines
