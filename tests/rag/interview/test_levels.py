"""Interview levels: a question's level from the headings above it, plans that start at a level,
and adaptive sessions that go up after a strong answer and down after a weak one."""

import random

import pytest

from conftest import FAKE_SCALE, CannedChat
from core.settings import Settings
from ingest.models import QuestionItem
from rag.interview.bands import BANDS
from rag.interview.levels import LEVELS, distance, heading_level, label, level_of, parse_level
from rag.interview.scheduler import ProgressStore, plan_session
from rag.interview.session import Ask, Graded, Interview
from rag.services import build_services

Q = "What is it?"  # the question's own heading, last in a heading path


@pytest.mark.parametrize("headings, level", [
    # the corpus' shapes
    (("1. Very Basic Level:", "1. Git & Version Control", "What is Git and why use it?"), "very basic"),
    (("1. Very Basic Level:", "5. Scenario-Based Questions", "Scenario: the model fails"), "very basic"),
    (("2. Basic Level Q&A", "1. Why Use MongoDB in MLOps / Data Science"), "basic"),
    (("MLOps Interview Questions and Answers", "MLOps Basics", "1. What is MLOps?"), "basic"),
    (("Complete MLOps Interview Questions List", "Fundamental MLOps Concepts", Q), "basic"),
    (("MLOps Interview Questions and Answers", "Advanced Questions", Q), "advanced"),
    (("Complete MLOps Interview Questions List", "Advanced MLOps Concepts", Q), "advanced"),
    # raw markdown: bold, emoji, their mojibake, heading marks, case, spacing, hyphens
    (("# \U0001f680 MLOps Interview Questions", "## \u00fc\u00df\u00b0 Advanced Questions", Q), "advanced"),
    (("\u00fc\u00df\u00b0Advanced Questions", Q), "advanced"),
    (("## **Advanced MLOps Concepts**", Q), "advanced"),
    (("__Beginner__ round", Q), "basic"),
    (("VERY   BASIC questions", Q), "very basic"),
    (("Very-Basic", Q), "very basic"),
    (("*Intermediate* Topics", Q), "intermediate"),
    (("Mid-Level Questions", Q), "intermediate"),
    (("Entry-level questions", Q), "basic"),
    (("Senior engineer round", Q), "advanced"),
    (("Expert corner:", Q), "advanced"),
    (("Fundamentals", Q), "basic"),
    # the nearest heading naming a level wins
    (("Advanced Topics", "Docker Basics", Q), "basic"),
    (("Basics", "Kubernetes", "Advanced scheduling", Q), "advanced"),
    (("Advanced Topics", "Basic vs Advanced Git", Q), "advanced"),  # a heading naming two levels is skipped
    # no level
    (("Tools & Pipelines", Q), None),
    (("MLOps Interview Preparation", "1. Lifecycle & Process", "Explain MLOps Level 1 vs. Level 2."), None),
    (("Notes", "What is a basic advanced question?"), None),  # only headings above the question count
    (("Advanced: what is sharding?",), None),  # the question's own heading alone
    (("Basically, everything", Q), None),
    (("VisualBasic tricks", Q), None),
    (("Basicity of a solution", Q), None),
    (("Advancement of MLOps", Q), None),
    (("Basic to Advanced", Q), None),
    (("", Q), None),
    ((Q,), None),
    ((), None),
    (None, None),
])
def test_level_of_heading_paths(headings, level):
    assert level_of(headings) == level


def test_heading_level_parse_and_label():
    assert heading_level("1. Very Basic Level:") == "very basic" and heading_level("Basic Level Q&A") == "basic"
    assert heading_level("Basically") is None and heading_level("") is None
    assert [parse_level(t) for t in ("Advanced", "very-basic", "very_basic", " Very Basic ", "beginner")] == \
        ["advanced", "very basic", "very basic", "very basic", "basic"]
    assert [parse_level(t) for t in ("", None, "any", "hard", "level 2")] == [None] * 5
    assert [label(lv) for lv in LEVELS] == ["Very basic", "Basic", "Intermediate", "Advanced"] and label(None) == ""
    with pytest.raises(ValueError, match="unknown level 'hard'; levels: very basic, basic, intermediate, advanced"):
        distance("hard", "basic")


# --- plans ------------------------------------------------------------------------------------
def _item(i: int, level_heading: str) -> QuestionItem:
    return QuestionItem(qid=f"q{i:02d}", question=f"Question {i}?", answer="An answer.", file="n.md",
                        headings=(level_heading, "Section", f"Question {i}?"), topic="Section")


@pytest.fixture
def bank() -> list[QuestionItem]:
    shapes = ["Very Basic Level", "Basic Level", "Intermediate Questions", "Advanced Questions", "Other"]
    return [_item(i, shapes[i % 5]) for i in range(20)]


def test_plan_without_a_level_is_unchanged(bank, tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record_answer("q03", "Section", 20)  # one card under review: due in 10 minutes
    assert plan_session(bank, store, 8, rng=3, level=None) == plan_session(bank, store, 8, rng=3)
    assert plan_session(bank, store, 8, rng=random.Random(3)) == plan_session(bank, store, 8, rng=3)


@pytest.mark.parametrize("level", LEVELS)
def test_plan_starts_at_the_level_then_the_nearest_ones(bank, tmp_path, level):
    store = ProgressStore(tmp_path / "p.sqlite")
    plan = plan_session(bank, store, len(bank), rng=5, level=level)
    levels = [level_of(q.headings) for q in plan]
    assert levels[:4] == [level] * 4
    assert [distance(level, lv) for lv in levels] == sorted(distance(level, lv) for lv in levels)
    assert levels[-4:] == [None] * 4  # no level: last
    # within a level, the plan's usual order (here: the seeded shuffle of new questions)
    usual = plan_session(bank, store, len(bank), rng=5)
    assert [q for q in plan if level_of(q.headings) == level] == [q for q in usual if level_of(q.headings) == level]
    assert plan_session(bank, store, 3, rng=5, level=level) == plan[:3]  # deterministic, count respected


def test_plan_falls_back_to_the_nearest_levels(bank, tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    no_middle = [q for q in bank if level_of(q.headings) != "intermediate"]
    plan = plan_session(no_middle, store, 12, rng=1, level="intermediate")
    assert [level_of(q.headings) for q in plan] == ["basic"] * 4 + ["advanced"] * 4 + ["very basic"] * 4
    # due cards still come first within a level
    store.record_answer("q08", "Section", 0)  # q08 is advanced (8 % 5 == 3); due again in 10 minutes
    later = plan_session(bank, store, 4, rng=1, level="advanced", now=store.card_due("q08"))
    assert later[0].qid == "q08" and {level_of(q.headings) for q in later} == {"advanced"}


# --- adaptive sessions ----------------------------------------------------------------------------
STRONG = next(b.floor for b in BANDS if b.verdict == "strong")
PARTIAL = next(b.floor for b in BANDS if b.verdict == "partial")
UNRELATED = "I like hiking in the mountains with my dog on sunny weekends."


@pytest.fixture
def services(tmp_path, small_corpus, fake_embeddings):
    """The small corpus: "MLOps Basics" (3 basic questions), "Advanced Questions" (2), the rest none."""
    s = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                       embeddings=fake_embeddings, chat_model=CannedChat())
    s.ingest()
    return s


def _asks(events) -> list[Ask]:
    return [e for e in events if isinstance(e, Ask)]


def _answer_main(iv: Interview, text: str) -> tuple[Ask, int]:
    """Answer the main question with ``text`` and any follow-up with nonsense: the next main Ask
    and the main answer's score."""
    events = list(iv.respond(text))
    score = next(e for e in events if isinstance(e, Graded)).grade.score
    ask = _asks(events)[-1]
    if ask.turn.followup:  # a weak follow-up answer must not move the level
        ask = _asks(iv.respond(UNRELATED))[-1]
    assert not ask.turn.followup
    return ask, score


def test_strong_answer_moves_up_and_weak_one_moves_down(services):
    iv = services.new_interview(count=4, level="basic")
    assert len(iv.plan) == 4 and iv.reserve  # the rest of the bank, to move to
    ask = _asks(iv.start())[0]
    assert ask.turn.level == "basic" and iv.level == "basic"
    ask, score = _answer_main(iv, ask.turn.item.answer)  # the notes' own answer: strong
    assert score >= STRONG
    assert ask.turn.level == "advanced" and iv.level == "advanced" and ask.number == 2  # no intermediate: the next one up
    ask, score = _answer_main(iv, UNRELATED)  # weak
    assert score < PARTIAL
    assert ask.turn.level == "basic" and iv.level == "basic" and ask.number == 3
    asked = [t.item.qid for t in iv.turns if not t.followup]
    assert len(set(asked)) == 3 and iv.plan[:3] == [t.item for t in iv.turns if not t.followup]
    assert len(iv.plan) == 4 and not {q.qid for q in iv.plan} & {q.qid for q in iv.reserve}
    assert [h["qid"] for h in reversed(services.progress_store.history())] == asked[:2]  # main answers only


def test_no_higher_level_left_keeps_the_level_then_follows_the_plan(services):
    iv = services.new_interview(count=4, level="advanced")
    ask = _asks(iv.start())[0]
    assert ask.turn.level == "advanced"
    ask, _ = _answer_main(iv, ask.turn.item.answer)  # strong at the top: the other advanced question
    assert ask.turn.level == "advanced"
    ask, _ = _answer_main(iv, ask.turn.item.answer)  # no advanced one left: the plan order (nearest level)
    assert ask.turn.level == "basic" and iv.level == "basic"


def test_a_skip_does_not_move_the_level(services):
    iv = services.new_interview(count=3, level="advanced")
    list(iv.start())
    ask = _asks(iv.respond("skip"))[-1]
    assert ask.turn.level == "advanced" and ask.number == 2


def test_without_a_level_the_session_follows_the_plan(services):
    plan = plan_session(services.question_bank(), services.progress_store, 3, rng=11)
    iv = services.new_interview(count=3, rng=11)
    assert iv.plan == plan and iv.level is None and not iv.reserve
    ask = _asks(iv.start())[0]
    ask, _ = _answer_main(iv, ask.turn.item.answer)
    assert ask.turn.item == plan[1] and iv.plan == plan


def test_an_unknown_level_is_refused(services):
    with pytest.raises(ValueError, match="unknown level"):
        services.new_interview(count=2, level="hard")
