"""The Ask tab's examples come from the user's own notes."""

from ingest.models import QuestionItem
from ui.ask_tab import example_questions


def _q(question, file="a.md", topic="T", answer="yes"):
    return QuestionItem(qid=question, question=question, answer=answer, file=file, headings=(topic, question), topic=topic)


def test_examples_are_short_answered_questions_of_different_files_and_topics():
    bank = [_q("What is a sourdough starter?"), _q("How long does dough rise?"),  # same topic as the first
            _q("What flour makes the best bread for a beginner who has never baked anything before?", topic="U"),
            _q("Why score the loaf?", topic="U"), _q("What is a levain?", file="b.md", answer=""),
            _q("What is a levain build?", file="b.md", topic="V"), _q("What is a sourdough starter exactly?", file="c.md")]
    assert example_questions(bank, n=4) == ["What is a sourdough starter?", "What is a levain build?", "Why score the loaf?"]
    assert example_questions(bank, n=1) == ["What is a sourdough starter?"]
    assert example_questions([]) == []


def test_a_question_the_notes_cannot_answer_is_kept_as_a_gap(tmp_path, small_corpus, fake_embeddings):
    from conftest import fake_chat
    from core.settings import Settings
    from rag.services import build_services
    from ui.ask_tab import make_ask
    from ui.notes_tab import make_handlers

    def services_with(reply):
        s = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", min_relevance=0.05),
                           embeddings=fake_embeddings, chat_model=fake_chat(reply))
        s.ingest()
        return s

    refusing = services_with("My notes don't cover that.")
    for _ in range(2):
        list(make_ask(refusing)("How do you monitor ML models in production?", []))
    answering = services_with("Monitoring tracks drift [1].")
    list(make_ask(answering)("What tools are used in MLOps pipelines?", []))  # answered: not a gap
    (gap,) = answering.progress_store.gaps()
    assert gap["question"] == "How do you monitor ML models in production?" and gap["times"] == 2
    assert gap["nearest"]  # the sections retrieved, to write the missing note next to
    notes = make_handlers(answering)[0]
    summary, table, html = notes()
    assert "How do you monitor ML models in production?" in html and "asked 2\u00d7" in html
