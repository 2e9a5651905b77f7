from rag.followup import is_followup, retrieval_queries


def test_no_history_is_never_a_followup():
    assert not is_followup("and how do you roll it back?", [])
    assert retrieval_queries("and how do you roll it back?", []) == ["and how do you roll it back?"]


def test_followups_are_joined_with_the_previous_turn():
    hist = ["explain canary vs blue-green"]
    for q in ["and how do you roll it back?", "what tools would you use for that?", "why?", "how is the other one different?"]:
        assert is_followup(q, hist), q
    assert retrieval_queries("and how do you roll it back?", hist) == [
        "and how do you roll it back?", "explain canary vs blue-green and how do you roll it back?"]


def test_standalone_question_after_history_is_not_a_followup():
    assert not is_followup("What is a feature store used for in MLOps pipelines?", ["explain canary vs blue-green"])
