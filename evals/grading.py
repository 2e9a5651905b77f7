"""How well the interviewer's grade agrees with a demanding human interviewer.

``evals/data/grading.jsonl`` holds spoken-style answers to questions of the notes, five per question
(strong paraphrase, partial, vague, confidently wrong, a good answer to another question), each
scored 0-100 by careful reading (format: evals/FORMAT.md).  ``run_grading_calibration`` grades every
answer the way the interview does (the question's reference answer from the bank, its key points,
``grade_answer``) and ``grading_scores`` compares: Spearman rank correlation, mean absolute error,
within-question ordering, wrong answers graded below partial ones, strong or partial answers
flagged off-topic, and the median grade of each style.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from itertools import combinations

from scipy.stats import spearmanr

from evals.golden import DATA, in_split, read_jsonl
from rag.interview.grading import Grade, grade_answer
from rag.interview.keypoints import split_key_points

GRADING = DATA / "grading.jsonl"
STYLES = ("strong", "partial", "vague", "wrong", "other_question")
ORDER_MARGIN = 10  # two labels closer than this are not counted as an ordering the grade must keep


def grading_scores(rows: Sequence[dict]) -> dict:
    """Agreement of ``pred`` with ``score`` over rows with ``qid``, ``style``, ``score`` (label),
    ``pred`` (the grade) and ``off_topic`` (the grader's flag)."""
    if not rows:
        return {"n": 0}
    labels, preds = [r["score"] for r in rows], [r["pred"] for r in rows]
    by_q: dict[str, list[dict]] = {}
    for r in rows:
        by_q.setdefault(r["qid"], []).append(r)
    pairs = kept = 0
    wrong_below = wrong_pairs = 0
    for items in by_q.values():
        for a, b in combinations(items, 2):
            if abs(a["score"] - b["score"]) >= ORDER_MARGIN:
                pairs += 1
                hi, lo = (a, b) if a["score"] > b["score"] else (b, a)
                kept += hi["pred"] > lo["pred"]
        styles = {r["style"]: r for r in items}
        if "wrong" in styles and "partial" in styles:
            wrong_pairs += 1
            wrong_below += styles["wrong"]["pred"] < styles["partial"]["pred"]
    rho = spearmanr(labels, preds).statistic if len(set(preds)) > 1 and len(set(labels)) > 1 else 0.0
    good = [r for r in rows if r["style"] in ("strong", "partial")]
    return {
        "n": len(rows), "questions": len(by_q),
        "spearman": round(float(rho), 4),
        "mae": round(statistics.fmean(abs(p - l) for p, l in zip(preds, labels)), 2),
        "ordering_within_question": round(kept / pairs, 4) if pairs else None,
        "wrong_below_partial": round(wrong_below / wrong_pairs, 4) if wrong_pairs else None,
        "strong_or_partial_flagged_off_topic": sum(bool(r.get("off_topic")) for r in good),
        "median_grade": {s: statistics.median([r["pred"] for r in rows if r["style"] == s])
                         for s in STYLES if any(r["style"] == s for r in rows)},
        "median_label": {s: statistics.median([r["score"] for r in rows if r["style"] == s])
                         for s in STYLES if any(r["style"] == s for r in rows)},
    }


def grade_bank_answer(answer: str, q, embeddings) -> Grade:
    """``answer`` graded against the bank question ``q`` as this eval grades the labelled set: the
    reference answer's key points, its heading as the points' source."""
    return grade_answer(answer, q.question, split_key_points(q.answer), embeddings, q.heading)


def run_grading_calibration(services, *, split: str | None = None, limit: int | None = None,
                            progress: Callable[[int, int], None] | None = None) -> dict:
    """Grade every labelled answer of ``split`` as the interview would and compare with the labels."""
    items = in_split(read_jsonl(GRADING), split)
    items = items[:limit] if limit else items
    bank = {q.qid: q for q in services.question_bank()}
    rows, missing = [], []
    for i, it in enumerate(items, start=1):
        q = bank.get(it["qid"])
        if q is None:
            missing.append(it["id"])
            continue
        g = grade_bank_answer(it["answer"], q, services.embeddings)
        rows.append({"id": it["id"], "qid": it["qid"], "style": it["style"], "score": it["score"],
                     "pred": g.score, "off_topic": g.off_topic})
        if progress:
            progress(i, len(items))
    return {"split": split or "all", **grading_scores(rows), "not_in_bank": missing, "rows": rows}


def disputes_as_examples(disputes: Sequence[dict], bank: dict) -> list[dict]:
    """The candidate's disputes (``ProgressStore.disputes()``) as rows in the grading set's format
    (evals/FORMAT.md), style ``disputed``, to be read and labelled before they join the set: the
    score is the regraded one, ``covers`` the point the candidate said they covered."""
    rows = []
    for d in disputes:
        q = bank.get(d["qid"])
        rows.append({"id": f"dispute-{d['id']}", "qid": d["qid"], "question": d.get("question") or (q.question if q else ""),
                     "file": q.file if q else "", "heading": q.heading if q else "", "split": "tune",
                     "style": "disputed", "answer": d.get("answer_text") or "", "score": d["new_score"],
                     "covers": [d["point"]], "errors": [],
                     "note": f"disputed by the candidate: graded {d['old_score']}, regraded {d['new_score']}; "
                             "check the label before use"})
    return rows
