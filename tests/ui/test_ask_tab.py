"""The Ask tab's examples come from the user's own notes."""

from conftest import FAKE_SCALE
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
        s = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
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


DEPLOY_NOTE = """# Deployment notes

### What is a canary release?
A canary release sends a small share of real traffic to the new model version first.
- Route 5% of requests to the canary <img src=x onerror=alert(1)> and watch the error rate.
- Increase the share gradually while latency & errors hold.
- Roll back by sending all traffic to the old version.

### What is a blue-green deployment?
Blue-green keeps two identical environments, blue serving production and green the new version.
- Run smoke tests against green before the switch.
- The load balancer switches all traffic to green at once.
- Rollback is instant: switch the load balancer back to blue.
"""


def test_the_sources_panel_highlights_the_lines_the_answer_cites(tmp_path, fake_embeddings):
    """Through the real chain and the tab's entry point: the answer's sentences copy a line of each
    note, citing it by the number the prompt gave it; the panel marks those lines (escaped) and the
    citations link to them, also once the turn is an earlier one."""
    import re

    from conftest import CannedChat
    from core.settings import Settings
    from rag.services import build_services
    from ui.ask_tab import make_ask

    class CopyingChat(CannedChat):
        def _pick(self, messages) -> str:
            prompt = " \n".join(str(m.content) for m in messages)
            number = {title: n for n, title in re.findall(r"^\[(\d+)\] (.+?)\s*$", prompt, re.M)}
            canary, blue = number["What is a canary release?"], number["What is a blue-green deployment?"]
            return (f"Route 5% of requests to the canary and watch the error rate [{canary}]. "
                    f"The load balancer switches all traffic to green at once [{blue}].")

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deploy.md").write_text(DEPLOY_NOTE)
    services = build_services(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=fake_embeddings, chat_model=CopyingChat())
    services.ingest()
    ask = make_ask(services)
    chat, sources, turns, _ = list(ask("explain canary vs blue-green", []))[-1]
    hits = {h["heading"].split(" > ")[-1]: h for h in turns[0]["hits"]}
    c, b = hits["What is a canary release?"]["n"], hits["What is a blue-green deployment?"]["n"]
    assert turns[0]["evidence"] == {c: [1], b: [2]}
    assert chat[-1]["content"] == (f"Route 5% of requests to the canary and watch the error rate [[{c}]](#src-{c}-e1). "
                                   f"The load balancer switches all traffic to green at once [[{b}]](#src-{b}-e2).")
    assert (f'<mark class="evidence" id="src-{c}-e1">\u2022 Route 5% of requests to the canary '
            "&lt;img src=x onerror=alert(1)&gt; and watch the error rate.</mark>") in sources
    assert f'<mark class="evidence" id="src-{b}-e2">\u2022 The load balancer switches all traffic' in sources
    assert sources.count("<mark") == 2 and "<img" not in sources
    assert "Increase the share gradually while latency &amp; errors hold." in sources  # shown, not marked

    chat, sources, turns, _ = list(ask("and how do you roll it back?", turns))[-1]
    assert f"(#src-1-{c}-e1)" in chat[1]["content"] and f"(#src-1-{b}-e2)" in chat[1]["content"]
    assert f'id="src-1-{c}-e1"' in sources and f'id="src-1-{b}-e2"' in sources


def test_an_answer_mostly_outside_the_notes_is_kept_as_a_thin_gap(tmp_path, small_corpus, fake_embeddings):
    from conftest import fake_chat
    from core.settings import Settings
    from rag.services import build_services
    from rag.support import UNSUPPORTED_MARK
    from ui.ask_tab import make_ask
    from ui.notes_tab import make_handlers

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **{**FAKE_SCALE, "mark_unsupported_below": 0.5})
    s = build_services(settings, embeddings=fake_embeddings,
                       chat_model=fake_chat("Quantum zebras juggle purple volcanoes nightly [1]. Sourdough loaves rise in ovens [1]."))
    s.ingest()
    *_, (chat, _, turns, _) = make_ask(s)("What tools are used in MLOps pipelines?", [])
    assert turns[-1]["a"].count(UNSUPPORTED_MARK) == 2  # both sentences marked where the user reads them
    (gap,) = s.progress_store.gaps()
    assert gap["question"] == "What tools are used in MLOps pipelines?" and gap["reason"] == "thin"
    assert "answered mostly from outside your notes" in make_handlers(s)[0]()[2]
