from rag.followup import contextual_query, reads_as_followup


def test_no_history_is_never_a_followup():
    assert not reads_as_followup("and how do you roll it back?", [])


def test_followup_wording_is_recognised():
    hist = ["explain canary vs blue-green"]
    for q in ["and how do you roll it back?", "what tools would you use for that?", "why?", "how is the other one different?"]:
        assert reads_as_followup(q, hist), q


def test_standalone_question_after_history_does_not_read_as_followup():
    assert not reads_as_followup("What is a feature store used for in MLOps pipelines?", ["explain canary vs blue-green"])


def test_contextual_query_joins_the_previous_turn():
    assert contextual_query(" and how? ", ["first", "explain canary "]) == "explain canary and how?"
