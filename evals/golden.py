"""The golden set and the judge calibration set: loading and validation (format: evals/FORMAT.md)."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.models import Chunk
from evals.metrics import norm_heading

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden.jsonl"
CALIBRATION = DATA / "calibration.jsonl"  # planted claims (lexical swaps)
CLAIMS_REAL = DATA / "claims_real.jsonl"  # the chain's real answers, labelled claim by claim
CLAIM_SETS = {"planted": CALIBRATION, "real": CLAIMS_REAL}
KINDS = ("factual", "compare", "scenario", "followup", "out_of_scope")
SPLITS = ("tune", "heldout")  # fixed parts of every labelled set (evals/FORMAT.md, "Splits")


def read_jsonl(path: Path) -> list[dict]:
    items = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path.name}:{i}: invalid JSON: {e}") from e
    return items


def in_split(items: list[dict], split: str | None) -> list[dict]:
    """The items of one part (``"tune"``: to choose settings on; ``"heldout"``: to report and gate
    on); ``None`` or ``"all"`` keeps every item."""
    if split in (None, "all"):
        return items
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)} or all")
    return [it for it in items if it.get("split") == split]


def load_golden(path: Path = GOLDEN, kinds: list[str] | None = None, limit: int | None = None,
                split: str | None = None) -> list[dict]:
    items = in_split(read_jsonl(path), split)
    if kinds:
        items = [it for it in items if it["kind"] in kinds]
    return items[:limit] if limit else items


def validate_golden(items: list[dict], chunks: list[Chunk]) -> list[str]:
    """Every problem found, as readable lines; an empty list means the set is valid."""
    headings: dict[str, set[str]] = {}
    for c in chunks:
        headings.setdefault(c.file, set()).update(norm_heading(h) for h in c.headings)
    errors, seen = [], set()
    for it in items:
        iid = it.get("id", "?")
        if iid in seen:
            errors.append(f"{iid}: duplicate id")
        seen.add(iid)
        if it.get("split") not in SPLITS:
            errors.append(f"{iid}: split {it.get('split')!r} not one of {SPLITS}")
        if it.get("kind") not in KINDS:
            errors.append(f"{iid}: kind {it.get('kind')!r} not one of {KINDS}")
            continue
        if not str(it.get("question", "")).strip():
            errors.append(f"{iid}: empty question")
        if it["kind"] == "followup" and not it.get("history"):
            errors.append(f"{iid}: a followup needs the earlier turn in 'history'")
        if it["kind"] == "out_of_scope":
            if it.get("sources") or it.get("key_points"):
                errors.append(f"{iid}: out_of_scope items name no sources or key points")
            continue
        if not 3 <= len(it.get("key_points", [])) <= 6:
            errors.append(f"{iid}: needs 3-6 key_points, has {len(it.get('key_points', []))}")
        if not it.get("sources"):
            errors.append(f"{iid}: names no sources")
        for s in it.get("sources", []):
            if s.get("file") not in headings:
                errors.append(f"{iid}: file {s.get('file')!r} is not in the corpus")
            elif norm_heading(s.get("heading", "")) not in headings[s["file"]]:
                errors.append(f"{iid}: heading {s.get('heading')!r} not found in {s['file']}")
    return errors
