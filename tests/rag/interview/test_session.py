"""The interview flow with fake embeddings and a canned interviewer model."""

import pytest

from conftest import FAKE_SCALE, CannedChat, fake_chat, on_topic_answer
from rag.interview.feedback import missed_point_question
from rag.interview.session import Ask, Feedback, Graded, Info, Summary, parse_command
from rag.services import build_services
from core.settings import Settings

FEEDBACK = "Feedback: You named the main idea but missed how it is monitored.\nFollow-up: What else do your notes say about {notes_start}?"


def _services(tmp_path, corpus, embeddings, chat):
    s = build_services(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                       embeddings=embeddings, chat_model=chat)
    s.ingest()
    return s


@pytest.fixture
def services(tmp_path, small_corpus, fake_embeddings):
    return _services(tmp_path, small_corpus, fake_embeddings, CannedChat(feedback=FEEDBACK))


def _collect(events):
    return list(events)


def test_commands_are_recognised():
    assert parse_command(" Hint ") == "hint" and parse_command("show answer") == "show"
    assert parse_command("END.") == "end" and parse_command("the answer is canary") is None


def test_full_round_grade_feedback_followup_then_next(services):
    iv = services.new_interview(count=2)
    first = _collect(iv.start())
    assert isinstance(first[0], Ask) and first[0].number == 1 and first[0].total == 2
    item = first[0].turn.item
    events = _collect(iv.respond(item.answer or "I am not sure"))
    graded = [e for e in events if isinstance(e, Graded)]
    assert graded and graded[0].grade.score >= 60  # the reference answer itself
    assert events.index(graded[0]) == 0  # the score comes before any feedback
    grade = graded[0].grade  # and the model writing the feedback is told it
    assert f"Score it got: {grade.score}/100, {grade.verdict}" in services.chat_model.last_prompt
    fb = "".join(e.text for e in events if isinstance(e, Feedback))
    assert "missed how it is monitored" in fb and "Follow-up" not in fb
    ask = [e for e in events if isinstance(e, Ask)][-1]
    assert ask.turn.followup and ask.text.startswith("What else do your notes say about ") and ask.text.endswith("?")
    assert ask.turn.points  # graded against retrieved notes
    # the follow-up answer is graded, then the next main question comes at once (no LLM call)
    events = _collect(iv.respond("I would route traffic back to the stable version when metrics degrade"))
    assert isinstance(events[0], Graded) and isinstance(events[-1], Ask) and events[-1].number == 2
    # the main answer was recorded before feedback
    assert services.progress_store.history(qid=item.qid)


def test_followup_off_the_notes_is_replaced_by_a_missed_point(tmp_path, small_corpus, fake_embeddings):
    services = _services(tmp_path, small_corpus, fake_embeddings,
                         fake_chat("Feedback: Fine.\nFollow-up: What are your salary expectations for next year?"))
    iv = services.new_interview(count=1, topics=["Tools & Pipelines"])  # questions with a reference answer
    ask = _collect(iv.start())[0]
    assert ask.turn.item.answer.strip()
    events = _collect(iv.respond(on_topic_answer(ask.turn.item)))
    grade = events[0].grade
    ask = [e for e in events if isinstance(e, Ask)][-1]
    assert grade.missing and ask.turn.followup
    assert ask.text == missed_point_question(grade.missing[0].point)
    assert ask.text.startswith("Can you say more about this: ") and not ask.text.endswith(".?")


def test_empty_answer_scores_zero_and_moves_on(services):
    iv = services.new_interview(count=2)
    _collect(iv.start())
    events = _collect(iv.respond("   "))
    assert events[0].grade.score == 0 and events[0].grade.empty
    assert isinstance(events[-1], Ask) and not events[-1].turn.followup


def test_hint_skip_show_and_end(services):
    iv = services.new_interview(count=3)
    _collect(iv.start())
    hint = _collect(iv.respond("hint"))
    assert isinstance(hint[0], Info) and hint[0].text.startswith("Hint:")
    skipped = _collect(iv.respond("skip"))
    assert isinstance(skipped[-1], Ask) and skipped[-1].number == 2
    shown = _collect(iv.respond("show answer"))
    assert shown[0].text.startswith("Answer from your notes")
    end = _collect(iv.respond("end"))
    summary = end[-1]
    # skipped and shown questions come back soon, but are not answers: not in the count or the mean
    assert isinstance(summary, Summary) and summary.answered == 0 and summary.skipped == 2
    assert summary.mean_score is None and len(summary.due) == 2
    assert summary.text() == "Interview ended. No questions were answered (2 skipped)."
    assert _collect(iv.respond("more?"))[0].text.startswith("This interview has ended")


def test_never_the_same_question_twice_and_weak_mode(services):
    iv = services.new_interview(count=50)
    qids = [q.qid for q in iv.plan]
    assert len(qids) == len(set(qids)) == len(services.question_bank())
    weak = services.new_interview(count=3, weak=True)
    assert len(weak.plan) == 3
