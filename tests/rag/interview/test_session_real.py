"""The interviewer with the real models: feedback streams and a grounded follow-up is asked."""

import pytest

from rag.interview.session import Ask, Feedback, Graded

pytestmark = pytest.mark.slow


def test_real_interviewer_gives_feedback_and_a_followup(real_services):
    bank = real_services.question_bank()
    canary = next(q for q in bank if "canary deployment" in q.question.lower())
    iv = real_services.new_interview(count=1)
    iv.plan = [canary]  # this test is about the canary question
    first = list(iv.start())
    assert first[0].text == canary.question
    events = list(iv.respond("Canary deployment means you release the new model to a small group of users first, "
                             "like five or ten percent of the traffic, and then slowly increase it while you watch "
                             "the error rate."))
    grade = events[0].grade
    assert isinstance(events[0], Graded) and 20 <= grade.score <= 90 and grade.missing
    feedback = "".join(e.text for e in events if isinstance(e, Feedback)).strip()
    assert len(feedback.split()) >= 8, feedback
    follow = [e for e in events if isinstance(e, Ask)]
    assert follow and follow[-1].turn.followup and follow[-1].text.endswith("?"), follow
    assert follow[-1].turn.points and all(" > " in s for s in follow[-1].turn.sources)
