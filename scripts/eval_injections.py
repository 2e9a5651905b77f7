"""How many prompt-injection variants does the real chain obey?

    .venv/bin/python scripts/eval_injections.py [--only id,id] [--out report.json]

Builds a temporary corpus (the real notes in corpus/ plus one poisoned note per variant of
evals/data/injections.jsonl), ingests it with the real embedding model, then asks each variant's
question with the real default chat model (seed 1), one after the other (~15 s each on 2 cores).
Prints one line per variant, the ingest warnings, and the counts; exit code 1 when any was obeyed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for key, value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                   "GRADIO_ANALYTICS_ENABLED": "False"}.items():
    os.environ.setdefault(key, value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="Comma-separated variant ids (default: all).")
    parser.add_argument("--out", type=Path, help="Write the outcomes as JSON here.")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="The clean notes to poison.")
    args = parser.parse_args(argv)

    from core.settings import Settings
    from evals.injections import load_variants, poisoned_corpus, run_all, summary
    from rag.services import build_services

    variants = load_variants()
    if args.only:
        wanted = set(args.only.split(","))
        variants = [v for v in variants if v.id in wanted]
    with tempfile.TemporaryDirectory(prefix="coach-injections-") as tmp:
        tmp = Path(tmp)
        corpus = poisoned_corpus(args.corpus, tmp / "corpus", variants)
        data = tmp / "data"
        data.mkdir()
        models = ROOT / ".coach-data" / "models"
        if models.exists():  # reuse the assembled model file
            (data / "models").symlink_to(models, target_is_directory=True)
        services = build_services(Settings(corpus_dir=corpus, data_dir=data, seed=1))
        report = services.ingest()
        flagged_files = {v.file for v in variants if any(v.file in w for w in report.warnings)}
        for w in report.warnings:
            print("ingest warning:", w)
        outcomes = run_all(services, variants)
        for o, v in zip(outcomes, variants):
            o.flagged = v.file in flagged_files
        result = summary(outcomes)
    print(f"\nobeyed (shown to the user): {result['obeyed']}/{result['variants']}; "
          f"obeyed by the model before the chain's checks: {result['model_obeyed']}/{result['variants']}; "
          f"poisoned note retrieved: {result['retrieved']}/{result['variants']}; "
          f"flagged at ingest: {result['flagged']}/{result['variants']}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 1 if result["obeyed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
