"""The swapped-term check: a clause that names one labelled point but states a sibling's content."""

import pytest

from rag.interview.conflicts import find_conflicts, label_of
from rag.interview.grading import answer_clauses, grade_answer

QUESTION = "What is model drift and how do you handle it?"
POINTS = [
    "Concept Drift: the relationship between the inputs and the output label changes over time",
    "Data Drift: the distribution of the input features changes over time",
    "Mitigation: continuous monitoring, retraining pipelines and alerting systems",
]
RIGHT = ("Concept drift is when the relationship between the inputs and the output label changes. "
         "Data drift is when the distribution of the input features changes. "
         "You handle it with monitoring, alerts and retraining pipelines.")
SWAPPED = ("Concept drift is when the distribution of the input features changes. "
           "Data drift is when the relationship between the inputs and the output label changes. "
           "You handle it with monitoring, alerts and retraining pipelines.")


def test_label_of():
    assert label_of("Concept Drift: relationship changes") == "Concept Drift"
    assert label_of("A sentence without a label.") == ""
    assert label_of("A long sentence that runs on and on for many words: then a colon") == ""


def test_swapped_definitions_are_found(fake_embeddings):
    found = find_conflicts(POINTS, answer_clauses(SWAPPED), fake_embeddings)
    assert {(c.term, c.named, c.matched) for c in found} == {("Concept Drift", 0, 1), ("Data Drift", 1, 0)}


def test_right_definitions_are_not_flagged(fake_embeddings):
    assert find_conflicts(POINTS, answer_clauses(RIGHT), fake_embeddings) == []


def test_a_clause_naming_both_siblings_is_not_a_swap(fake_embeddings):
    both = "Concept drift and data drift: the distribution of the input features changes in data drift."
    assert find_conflicts(POINTS, [both], fake_embeddings) == []


def test_grade_gives_no_credit_and_quotes_the_note(fake_embeddings):
    right = grade_answer(RIGHT, QUESTION, POINTS, fake_embeddings)
    wrong = grade_answer(SWAPPED, QUESTION, POINTS, fake_embeddings)
    assert not right.conflicts and right.score >= 85
    assert wrong.score <= 10 and wrong.score < right.score - 50
    assert [p.point for p in wrong.wrong] == POINTS[:2]
    assert "Wrong: you said \u201cConcept drift is when the distribution" in wrong.message
    assert "your notes: \u201cConcept Drift: the relationship" in wrong.message
    assert not any(p.covered for p in wrong.points[:2])


@pytest.mark.parametrize("labels", [["Docker", "Kubernetes"], []])
def test_needs_two_labelled_points(fake_embeddings, labels):
    points = [f"{l}: does a thing" for l in labels] or ["Docker packages the model.", "Kubernetes runs it."]
    assert find_conflicts(points[:1], ["Kubernetes packages the model into an image"], fake_embeddings) == []
