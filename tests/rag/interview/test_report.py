"""The session report: written at the end of an interview, saved in the data folder."""

import random

from conftest import FAKE_SCALE, CannedChat, on_topic_answer
from core.settings import Settings
from rag.interview.report import list_reports
from rag.interview.session import Summary
from rag.services import build_services

FEEDBACK = "Feedback: You named the idea but missed how it is monitored.\nFollow-up: What else do your notes say about {notes_start}?"


def test_the_report_records_questions_answers_grades_feedback_and_what_comes_back(tmp_path, small_corpus, fake_embeddings):
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=fake_embeddings, chat_model=CannedChat(feedback=FEEDBACK))
    services.ingest()
    iv = services.new_interview(count=2, rng=random.Random(3))
    first = next(iter(iv.start()))
    item = first.turn.item
    answer = on_topic_answer(item)
    events = list(iv.respond(answer))
    events += list(iv.respond("I would compare it with the notes again."))  # the follow-up
    events += list(iv.respond("skip"))
    summary = next(e for e in events if isinstance(e, Summary))
    report = summary.report
    graded = iv.turns[0].grade
    assert report.startswith("# MLOps mock interview, ")  # the subject comes from the notes
    assert f"## Question 1: {item.question}" in report and "## Follow-up: What else do your notes say" in report
    assert f"> {answer}" in report
    assert f"**Score {graded.score}/100** ({graded.verdict})" in report
    for p in graded.missing:
        assert f"- {p.point} (" in report  # each missed point with its citation
    assert "You named the idea but missed how it is monitored." in report
    assert "## Question 2: " in report and "You skipped it." in report
    assert "## Coming back" in report and item.question in report.split("## Coming back")[1]
    saved = list_reports(services.settings.paths.reports_dir)
    assert saved == [summary.report_path] and saved[0].read_text(encoding="utf-8") == report


def test_an_interview_ended_before_any_question_saves_no_report(tmp_path, small_corpus, fake_embeddings):
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=fake_embeddings, chat_model=CannedChat())
    services.ingest()
    iv = services.new_interview(count=1, topics=["no such topic"])
    summary = next(e for e in iv.start() if isinstance(e, Summary))
    assert summary.report_path is None and "No questions were answered." in summary.report
    assert list_reports(services.settings.paths.reports_dir) == []
