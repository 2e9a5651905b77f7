from rag.interview.feedback import FeedbackSplitter, feedback_inputs

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
    d = feedback_inputs("Q?", "word " * 200, ["a", "b", "c", "d", "e"], "[1] notes")
    assert d["answer"].endswith("…") and len(d["answer"].split()) <= 92 and d["missing"] == "a; b; c; d"
