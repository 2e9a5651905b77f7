"""Dump the chain's real answers on a golden split, with the context each was given and its claims,
for labelling by careful reading (evals/data/claims_real.jsonl is built from this)."""
import json
import sys
import time

from core.settings import load_settings
from evals.golden import load_golden
from evals.judges import split_claims
from rag.services import build_services

split = sys.argv[1] if len(sys.argv) > 1 else "heldout"
out = sys.argv[2] if len(sys.argv) > 2 else f"/tmp/answers_{split}.jsonl"
services = build_services(load_settings())
items = [it for it in load_golden(split=split)]
with open(out, "w") as f:
    for i, item in enumerate(items, 1):
        t = time.perf_counter()
        ans = services.chain.ask(item["question"], item.get("history") or [])
        row = {"id": item["id"], "kind": item["kind"], "question": item["question"], "history": item.get("history") or [],
               "key_points": item.get("key_points", []), "answer": ans.answer, "covered": ans.covered,
               "context": ans.context, "claims": split_claims(ans.answer) if ans.covered else [],
               "sources": [f"{b.hit.chunk.heading}" for b in ans.sources], "timings": ans.timings}
        f.write(json.dumps(row) + "\n")
        f.flush()
        print(f"{i}/{len(items)} {item['id']} {time.perf_counter()-t:.1f}s claims={len(row['claims'])}", flush=True)
