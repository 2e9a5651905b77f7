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
