"""Does speculative decoding pay for the local chat model on this machine?

Builds real answer prompts with the project's own chain (retrieval + context + ANSWER_PROMPT) for
golden questions the notes cover, then sends the SAME greedy requests (temperature 0) to the plain
server and to each speculative variant, interleaved A B A B in one run.  Prints, per variant, the
medians of generation tokens/s (``timings.predicted_per_second``), draft acceptance
(``draft_n_accepted / draft_n``), first-token and total time, and whether each answer is the same
text as the plain server's.

At most two servers are loaded at once: the plain one plus the variant under test; both are dropped
after each variant's pass (the plain one reloads for the next pass, 2-3 s).

Variants (``--variants``, comma-separated):
  ngram[:N[:M]]        draft-free n-gram lookup over the prompt and the answer so far
                       (llama.cpp ``ngram-simple``; N = lookup n-gram, M = draft length)
  ngram-mod[:N[:MIN[:MAX]]]  llama.cpp ``ngram-mod`` (rolling-hash pool)
  draft[:NMAX[:PMIN]]  a draft model (``--draft-model``, default the 0.5B Qwen2.5-Coder) proposing
                       up to NMAX tokens, stopping early below PMIN probability

    .venv/bin/python scripts/bench_speculative.py --n 6 --max-tokens 150 --variants ngram,draft
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import load_settings  # noqa: E402
from evals.golden import load_golden  # noqa: E402
from rag.llm import xllama  # noqa: E402
from rag.llm.factory import resolve_model_path  # noqa: E402
from rag.llm.model_files import model_file  # noqa: E402
from rag.llm.xllama import XLlamaChatModel, to_openai_messages  # noqa: E402
from rag.services import build_services  # noqa: E402

SPEC = "common_speculative_type.COMMON_SPECULATIVE_TYPE_"


def variant_options(spec: str, draft_model: Path, n_threads: int) -> dict:
    """``"ngram:4:16"`` -> the extra xllamacpp server options of that variant."""
    name, *args = spec.split(":")
    nums = [float(a) for a in args]
    if name == "off":
        return {}
    if name == "ngram":
        n, m = (list(map(int, nums)) + [12, 48][len(nums):])[:2]
        return {"speculative.types": [_spec_type("NGRAM_SIMPLE")],
                "speculative.ngram_simple.size_n": n, "speculative.ngram_simple.size_m": m}
    if name == "ngram-mod":
        n, lo, hi = (list(map(int, nums)) + [24, 48, 64][len(nums):])[:3]
        return {"speculative.types": [_spec_type("NGRAM_MOD")], "speculative.ngram_mod.n_match": n,
                "speculative.ngram_mod.n_min": lo, "speculative.ngram_mod.n_max": hi}
    if name == "draft":
        n_max, p_min = (nums + [3, 0.0][len(nums):])[:2]
        return {"speculative.types": [_spec_type("DRAFT_SIMPLE")],
                "speculative.draft.mparams.path": str(draft_model),
                "speculative.draft.n_max": int(n_max), "speculative.draft.p_min": float(p_min),
                "speculative.draft.cpuparams.n_threads": n_threads,
                "speculative.draft.cpuparams_batch.n_threads": n_threads}
    raise SystemExit(f"unknown variant {spec!r}")


def _spec_type(member: str):
    import xllamacpp

    return getattr(xllamacpp.common_speculative_type, f"COMMON_SPECULATIVE_TYPE_{member}")


def build_prompts(settings, n: int, split: str | None) -> list[tuple[str, list[dict]]]:
    """``n`` golden questions the notes cover (factual, compare, scenario, in turn), as OpenAI messages."""
    # An unloaded chat model: the chain only needs one to exist; nothing is loaded here.
    services = build_services(settings, chat_model=XLlamaChatModel(model_path="/nonexistent.gguf"))
    by_kind: dict[str, list[dict]] = {}
    for item in load_golden(split=split):
        by_kind.setdefault(item["kind"], []).append(item)
    order = [it for group in zip(*(by_kind.get(k, []) for k in ("factual", "compare", "scenario"))) for it in group]
    prompts = []
    for item in order:
        prep = services.chain.prepare(item["question"], item.get("history") or [])
        if prep.inputs is None:
            continue
        prompts.append((item["id"], to_openai_messages(prep.messages())))
        if len(prompts) == n:
            break
    return prompts


def run_one(model: XLlamaChatModel, messages: list[dict], max_tokens: int) -> dict:
    t0 = time.perf_counter()
    first: list[float] = []

    def on_chunk(chunk: dict) -> bool:
        if not first and any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
            first.append(time.perf_counter() - t0)
        return False

    resp = model.raw_chat_completion(messages, max_tokens=max_tokens, stream_callback=on_chunk,
                                     temperature=0.0, cache_prompt=True)
    total = time.perf_counter() - t0
    t = resp.get("timings") or {}
    return {"text": resp["choices"][0]["message"]["content"], "tps": t.get("predicted_per_second"),
            "n": t.get("predicted_n"), "prompt_n": t.get("prompt_n"), "draft_n": t.get("draft_n"),
            "draft_ok": t.get("draft_n_accepted"), "ttft": first[0] if first else None, "total": total}


def med(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summary(name: str, rows: list[dict]) -> str:
    dn = sum(r["draft_n"] or 0 for r in rows)
    da = sum(r["draft_ok"] or 0 for r in rows)
    acc = f"{da}/{dn} = {da / dn:.2f}" if dn else "-"
    return (f"{name:<22} gen {med(rows, 'tps'):6.2f} tok/s | first token {med(rows, 'ttft'):5.2f} s | "
            f"total {med(rows, 'total'):5.2f} s | tokens {med(rows, 'n'):5.0f} | draft accepted {acc}")


def report(results: dict[str, list[dict]]) -> None:
    print("\nmedians")
    for key, rows in results.items():
        print(summary(key, rows))
    print("\nspeed-up and equality (each variant against the plain runs of its own pass)")
    for key, rows in results.items():
        if key.startswith("off"):
            continue
        base = results[f"off (vs {key})"]
        ratio = statistics.median(r["tps"] / b["tps"] for r, b in zip(rows, base))
        diff = [r["prompt"] for r, b in zip(rows, base) if r["text"] != b["text"]]
        print(f"{key:<22} gen tok/s x{ratio:.2f} (median of per-prompt ratios), "
              f"total x{med(base, 'total') / med(rows, 'total'):.2f}; "
              f"identical text {len(rows) - len(diff)}/{len(rows)}" + (f", differs on {diff}" if diff else ""))
        for r, b in zip(rows, base):
            if r["text"] != b["text"]:
                k = next((i for i, (x, y) in enumerate(zip(r["text"], b["text"])) if x != y), min(len(r["text"]), len(b["text"])))
                print(f"    {r['prompt']}: first difference at char {k}: plain {b['text'][k:k + 60]!r} / "
                      f"{key} {r['text'][k:k + 60]!r}")
    offs = [rows for key, rows in results.items() if key.startswith("off")]
    if len(offs) > 1:
        same = all(a["text"] == b["text"] for rows in offs[1:] for a, b in zip(offs[0], rows))
        print(f"plain vs plain across the {len(offs)} passes: identical text {'yes' if same else 'NO'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=6, help="prompts (golden questions the notes cover)")
    ap.add_argument("--split", default=None, help="golden split (tune, heldout; default both)")
    ap.add_argument("--max-tokens", type=int, default=150)
    ap.add_argument("--reps", type=int, default=1, help="passes over the prompts per variant")
    ap.add_argument("--variants", default="ngram,draft")
    ap.add_argument("--draft-model", type=Path, default=None,
                    help="draft GGUF (default: the assembled qwen2.5-coder-0.5b in the model cache)")
    ap.add_argument("--json", type=Path, default=None, help="write every measurement here")
    ap.add_argument("--report", type=Path, default=None, help="only print the summary of a --json file")
    args = ap.parse_args()
    if args.report:
        return report(json.loads(args.report.read_text(encoding="utf-8")))

    settings = load_settings()
    chat = settings.chat
    target = resolve_model_path(chat, settings.paths.model_cache_dir)
    draft_model = args.draft_model or model_file("qwen2.5-coder-0.5b", settings.paths.model_cache_dir)
    prompts = build_prompts(settings, args.n, args.split)
    print(f"target {target.name}, {len(prompts)} prompts: {', '.join(p[0] for p in prompts)}, "
          f"max_tokens {args.max_tokens}, n_threads {chat.n_threads}", flush=True)

    def make(options: dict) -> XLlamaChatModel:
        return XLlamaChatModel(model_path=str(target), n_ctx=chat.n_ctx, n_threads=chat.n_threads,
                               server_options=options)

    # Warm-up: the system prompt with a trivial question, so that every measured prompt (the first
    # included) finds only the shared system prompt in the server's prefix cache, as in the app.
    warmup = [m for m in prompts[0][1] if m["role"] == "system"] + [{"role": "user", "content": "Hello"}]
    results: dict[str, list[dict]] = {}
    for spec in [v.strip() for v in args.variants.split(",") if v.strip()]:
        opts = variant_options(spec, draft_model, chat.n_threads)
        if spec.startswith("draft") and not draft_model.is_file():
            print(f"skip {spec}: no draft model at {draft_model}", flush=True)
            continue
        plain, variant = make({}), make(opts)
        for m in (plain, variant):
            info = m.load()
            print(f"loaded {'plain' if m is plain else spec} in {info.load_seconds:.1f} s", flush=True)
            run_one(m, warmup, 8)  # not counted
        base_key, var_key = f"off (vs {spec})", spec
        for rep in range(args.reps):
            for pid, messages in prompts:
                for key, m in ((base_key, plain), (var_key, variant)):  # A B A B ...
                    row = {"prompt": pid, "rep": rep, **run_one(m, messages, args.max_tokens)}
                    results.setdefault(key, []).append(row)
                    acc = f" draft {row['draft_ok']}/{row['draft_n']}" if row["draft_n"] else ""
                    print(f"  {pid} {key:<18} {row['tps'] or 0:6.2f} tok/s  first {row['ttft'] or 0:5.2f} s  "
                          f"total {row['total']:5.2f} s  n={row['n']} prompt_n={row['prompt_n']}{acc}", flush=True)
        del plain, variant
        xllama.release_servers()
        gc.collect()

    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
