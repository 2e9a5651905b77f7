"""The grading-agreement measures, on hand-made rows (no model)."""

import pytest

from evals.grading import grading_scores


def _rows(preds):
    labels = {"strong": 92, "partial": 45, "vague": 15, "wrong": 8, "other_question": 3}
    return [{"qid": q, "style": s, "score": labels[s], "pred": p, "off_topic": p == 0}
            for q, grades in preds.items() for s, p in zip(labels, grades)]


def test_a_grader_that_orders_like_the_labels_agrees_fully():
    m = grading_scores(_rows({"q1": [90, 50, 20, 10, 5], "q2": [80, 40, 25, 5, 1]}))
    assert m["spearman"] > 0.9 and m["ordering_within_question"] == 1.0 and m["wrong_below_partial"] == 1.0
    assert m["median_grade"]["strong"] == 85 and m["median_label"]["wrong"] == 8
    assert m["strong_or_partial_flagged_off_topic"] == 0 and m["n"] == 10 and m["questions"] == 2


def test_a_grader_that_rewards_on_topic_vocabulary_is_caught():
    # wrong answers graded above partial ones, a strong paraphrase flagged off-topic
    m = grading_scores(_rows({"q1": [0, 30, 35, 45, 5], "q2": [51, 28, 30, 41, 10]}))
    assert m["wrong_below_partial"] == 0.0 and m["strong_or_partial_flagged_off_topic"] == 1
    assert m["ordering_within_question"] == 0.5 and m["spearman"] < 0.5  # 8 of 16 ordered pairs kept
    assert m["mae"] == round(sum(abs(p - l) for p, l in zip(
        [0, 30, 35, 45, 5, 51, 28, 30, 41, 10], [92, 45, 15, 8, 3] * 2)) / 10, 2)


def test_no_rows_is_reported_not_crashed():
    assert grading_scores([]) == {"n": 0}


def test_the_labelled_grading_set_is_complete_and_split_by_question():
    from evals.golden import read_jsonl
    from evals.grading import GRADING, STYLES

    items = read_jsonl(GRADING)
    assert len(items) == 200 and len({it["id"] for it in items}) == 200
    by_q: dict[str, list[dict]] = {}
    for it in items:
        by_q.setdefault(it["qid"], []).append(it)
        assert 0 <= it["score"] <= 100 and it["answer"].strip() and it["split"] in ("tune", "heldout")
        assert (it["style"] == "wrong") == bool(it["errors"]), it["id"]  # only wrong answers contradict the notes
    assert len(by_q) == 40
    for qid, answers in by_q.items():
        assert sorted(a["style"] for a in answers) == sorted(STYLES), qid
        assert len({a["split"] for a in answers}) == 1, qid  # a question's answers stay in one part
        s = {a["style"]: a["score"] for a in answers}
        assert s["strong"] > s["partial"] > max(s["vague"], s["wrong"], s["other_question"]), qid
    assert sum(a["split"] == "heldout" for a in items) == 100


def test_every_labelled_question_is_in_the_question_bank(real_services):
    from evals.golden import read_jsonl
    from evals.grading import GRADING

    bank = {q.qid: q for q in real_services.question_bank()}
    for it in read_jsonl(GRADING):
        assert it["qid"] in bank and bank[it["qid"]].question == it["question"], it["id"]


def _heldout_grades(services) -> dict[str, dict[str, int]]:
    from evals.grading import run_grading_calibration

    by_q: dict[str, dict[str, int]] = {}
    for r in run_grading_calibration(services, split="heldout")["rows"]:
        by_q.setdefault(r["qid"], {})[r["style"]] = r["pred"]
    return by_q


def test_real_strong_paraphrase_beats_a_confidently_wrong_answer(real_services):
    """Real MiniLM, the 20 held-out questions: for each, the strong paraphrase (in other words than
    the notes') is graded above the confidently wrong answer and a good answer to another question
    below the partial one."""
    by_q = _heldout_grades(real_services)
    assert len(by_q) == 20
    assert [q for q, g in by_q.items() if not g["strong"] > g["wrong"]] == []
    assert [q for q, g in by_q.items() if not g["other_question"] < g["partial"]] == []


@pytest.mark.xfail(strict=True, reason="the grader cannot tell a confidently wrong answer from a correct partial "
                                       "one (held-out: wrong below partial for 5 of 20 questions; target 18); "
                                       "strict: the day it can, this XPASSes and the mark must go")
def test_real_wrong_answer_below_the_partial_one(real_services):
    by_q = _heldout_grades(real_services)
    assert sum(g["wrong"] < g["partial"] for g in by_q.values()) >= 18
