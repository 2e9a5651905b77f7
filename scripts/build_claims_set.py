"""Merge dumped answers (scripts/dump_answers.py) with their careful-reading labels into
evals/data/claims_real.jsonl: the real-answer judge calibration set (evals/FORMAT.md).

Usage: python scripts/build_claims_set.py ANSWERS.jsonl LABELS.jsonl [LABELS.jsonl ...] --round NAME [--out PATH]
Answers alternate between the tune and heldout parts in golden-id order, so both parts hold
every kind of question."""
import argparse
import json
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("answers")
ap.add_argument("labels", nargs="+")
ap.add_argument("--round", required=True, help="which build answered (e.g. v0 = before the issue-10 changes)")
ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "evals" / "data" / "claims_real.jsonl"))
a = ap.parse_args()

answers = {json.loads(l)["id"]: json.loads(l) for l in open(a.answers) if l.strip()}
labels = {}
for path in a.labels:
    for line in open(path):
        if line.strip():
            row = json.loads(line)
            labels[row["id"]] = row
out = Path(a.out)
kept = [json.loads(l) for l in out.read_text().splitlines() if l.strip()] if out.exists() else []
kept = [r for r in kept if r.get("round") != a.round]
rows = []
for i, gid in enumerate(sorted(labels)):
    ans, lab = answers[gid], labels[gid]
    assert [c["text"] for c in lab["claims"]] == ans["claims"], gid
    rows.append({
        "id": f"{a.round}-{gid}", "round": a.round, "golden_id": gid, "split": ("tune", "heldout")[i % 2],
        "kind": ans["kind"], "question": ans["question"], "answer": ans["answer"], "context": ans["context"],
        "claims": [{"text": c["text"], "label": c["label"], "supported": c["label"] == "supported",
                    "off_topic": bool(c.get("off_topic")), "why": c.get("why", "")} for c in lab["claims"]],
        "key_points": ans["key_points"], "key_points_conveyed": lab.get("key_points"),
        "key_points_in_context": lab.get("key_points_in_context"), "both_sides": lab.get("both_sides"),
        "refused": lab.get("refused"), "refusal_wrong": lab.get("refusal_wrong"),
    })
with out.open("w") as f:
    for r in kept + rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(rows)} answers, {sum(len(r['claims']) for r in rows)} claims ({a.round}) -> {out}")
