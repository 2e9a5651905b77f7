import pytest

from rag.interview.feedback import FeedbackSplitter, as_question, feedback_inputs, grounded_followup

REPLY = "Feedback: You named the gradual rollout but not the rollback.\n**Follow-up:** How would you roll it back automatically?"


def _run(text, size):
    s = FeedbackSplitter()
    shown = "".join(s.feed(text[i:i + size]) for i in range(0, len(text), size)) + s.finish()
    return shown, s


def test_label_and_followup_are_split_on_any_chunking():
    for size in (1, 2, 3, 7, 100):
        shown, s = _run(REPLY, size)
        assert shown.strip() == "You named the gradual rollout but not the rollback."
        assert s.followup == "How would you roll it back automatically?"
        assert s.feedback == "You named the gradual rollout but not the rollback."


def test_no_marker_means_all_feedback_and_no_followup():
    shown, s = _run("Good answer overall, you covered the key points.", 4)
    assert shown == "Good answer overall, you covered the key points." and s.followup == ""


def test_quoted_followup_is_unwrapped():
    _, s = _run('Feedback: ok.\nFollow-up: "What tools would you use for drift detection?"', 5)
    assert s.followup == "What tools would you use for drift detection?"


def test_inputs_trim_long_answers():
    d = feedback_inputs("Q?", "word " * 200, ["a", "b", "c", "d", "e"], "[1] notes", score="0/100, off-topic")
    assert d["score"] == "0/100, off-topic" and feedback_inputs("Q?", "a", [], "n")["score"] == "not given"
    assert d["answer"].endswith("…") and len(d["answer"].split()) <= 92 and d["missing"] == "a; b; c; d"


def test_followup_that_echoes_the_format_becomes_a_question():
    # seen from the real 1.5B model in CI: the format's words echoed, no question asked
    _, s = _run("Feedback: Good start.\nFollow-up: Your next question, about the difference between "
                "pre-deployment and post-deployment monitoring.", 6)
    assert s.followup == "Can you explain the difference between pre-deployment and post-deployment monitoring?"


@pytest.mark.parametrize("raw, question", [
    ("What is shadow deployment?", "What is shadow deployment?"),
    ("<How do you detect data drift?>", "How do you detect data drift?"),
    ("Good. Now, how would you roll back a canary? Think about metrics.", "Now, how would you roll back a canary?"),
    ("Explain how a feature store avoids training-serving skew.",
     "Can you explain how a feature store avoids training-serving skew?"),
    ("Tell me about model registries.", "Can you tell me about model registries?"),
    ("Question: what does MLflow track?", "What does MLflow track?"),
    ("The notes mention drift.", ""),
    ("one question to the candidate about a detail in the notes, ending with a question mark", ""),
    ("Why?", ""),
    ("", ""),
])
def test_as_question(raw, question):
    assert as_question(raw) == question


NOTES = "[1] Canary deployment shifts a small share of traffic to the new model and watches error rates."


@pytest.mark.parametrize("question, ok", [
    ("How would you pick the traffic share for a canary?", True),
    ("What error rate would make you stop the canary?", True),
    ("What are your salary expectations for next year?", False),  # nothing from the notes
    ("What specific aspects of the candidate's answer about canary traffic were helpful?", False),  # meta
    ("", False),
])
def test_grounded_followup(question, ok):
    assert grounded_followup(question, NOTES) is ok
