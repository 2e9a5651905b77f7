"""The real default chat model (Qwen2.5-Coder-1.5B via xllamacpp, seed 1) answering from the notes.

Every check is on what the model itself wrote (``Answer.model_text``, before the chain checked
and attributed citations), so a model that answers about something else, refuses, ignores the
notes or loses the thread of a follow-up fails here.  One model call per question.

The model is asked with ``cache_prompt=False``: llama.cpp's reuse of the previous prompt's cache
changes the numerics, so with seed 1 the text still depended on which test ran before (checked:
the same feedback prompt gave different text cold and after another call).  Without the reuse
each prompt gives the same text in any test order.
"""

import re

import pytest

from rag.citations import CITATION
from rag.lexical import tokenize
from rag.prompts import RETRY_PREFILL, block_title, checkable_sentences, is_refusal
from rag.streaming import unit_end

pytestmark = pytest.mark.slow

COMPARE = "explain canary vs blue-green"
BLUE_GREEN = re.compile(r"blue[- ]green", re.I)


def model_sentences(a) -> list[str]:
    return checkable_sentences(a.model_text, final=True)


def supported_by(a, sentence: str) -> int | None:
    """The retrieved block holding at least 70% (and 4) of the sentence's content words, if one does.
    Stricter than the chain's own attribution (half, and 2): with no notes in the prompt, the model's
    general-knowledge sentences about rollbacks passed that bar."""
    words = set(tokenize(CITATION.sub("", sentence)))
    best, best_hits = None, 0
    for b in a.sources:  # the first best block on a tie
        hits = len(words & set(tokenize(b.text)))
        if hits > best_hits:
            best, best_hits = b.n, hits
    return best if best_hits >= 4 and best_hits >= 0.7 * len(words) else None


def grounded(a) -> list[str]:
    """The model's own sentences (or list lines) that a retrieved note supports."""
    return [s for s in model_sentences(a) if supported_by(a, s) is not None]


def own_markers(a) -> list[int]:
    return [int(n) for m in CITATION.findall(a.model_text) for n in re.findall(r"\d+", m)]


def assert_answered_by_the_model(a) -> None:
    """Covered by the notes, the model was called, and neither it nor the chain refused."""
    assert a.covered and a.sources, f"the retrieval gate refused: {a.answer}"
    assert a.timings["completion_tokens"] > 0, f"the model was not called: {a.timings}"
    assert a.model_text and not is_refusal(a.model_text) and not is_refusal(a.answer), a.model_text


@pytest.fixture(scope="module")
def chain(real_services):
    """The services' answer chain, on the real model without prompt-cache reuse (see above)."""
    from rag.chain import AnswerChain

    return AnswerChain(real_services.settings.answer, real_services.retriever,
                       real_services.chat_model.bind(cache_prompt=False))


@pytest.fixture(scope="module")
def compare(chain):
    return chain.ask(COMPARE)


def test_compare_answer_names_both_sides_each_from_its_own_note(compare):
    a = compare
    assert_answered_by_the_model(a)
    text = a.model_text
    assert "canary" in text.lower() and BLUE_GREEN.search(text), text
    titles = {b.n: block_title(b.hit).lower() for b in a.sources}
    for side, says_it in (("canary", lambda s: "canary" in s.lower()), ("blue-green", BLUE_GREEN.search)):
        sentences = [s for s in model_sentences(a) if says_it(s)]
        blocks = {supported_by(a, s) for s in sentences}
        # what the model says about each side is found in that side's note, not made up
        assert any(n is not None and side in titles[n] for n in blocks), (side, sentences, titles)
    assert all(1 <= n <= len(a.sources) for n in own_markers(a)), text  # any marker it wrote points at a note


@pytest.mark.xfail(strict=True, reason="seed 1: the 1.5B model writes no [n] marker itself for this question "
                                       "(of this file's 5 answers, one list line of one carries a marker); every "
                                       "citation shown here is attributed post hoc. Strict: the day it cites, this "
                                       "XPASSes and the mark must go.")
def test_compare_answer_cites_its_notes_itself(compare):
    markers = own_markers(compare)
    assert markers and all(1 <= n <= len(compare.sources) for n in markers), compare.model_text


def test_followup_is_answered_about_the_earlier_question_and_unknown_topics_are_declined(chain):
    a = chain.ask("and how do you roll it back?", [COMPARE])
    assert_answered_by_the_model(a)
    low = a.model_text.lower()
    # "it" is the deployment of the earlier question: the answer is about rolling back a deployment,
    # and what it says about rolling back is from the notes
    assert re.search(r"canary|blue|green|load balancer|previous version", low), a.model_text
    assert any("roll" in s.lower() for s in grounded(a)), a.model_text
    out = chain.ask("what is the time complexity of quicksort?")
    assert not out.covered and is_refusal(out.answer) and out.timings["completion_tokens"] == 0, out.answer


@pytest.mark.parametrize("question, notes_words", [
    ("my model won't fit into one GPU's memory — what are my options?", ("parallel", "quantiz", "offload", "shard")),
    # a strict xfail from the 500-token budget until the fenced prompt (injection work): it passes again
    ("how do you squeeze more out of your GPUs when training deep networks?", ("precision", "batch", "parallel")),
])
def test_answerable_questions_the_model_used_to_refuse_are_answered_from_the_notes(chain, question, notes_words):
    # The 1.5B model opened both with "My notes don't cover that." in every run before the retry;
    # whether it still does (a.retried) is not the point: the user gets an answer from the notes.
    a = chain.ask(question)
    assert_answered_by_the_model(a)
    if a.retried:
        assert a.model_text.startswith(RETRY_PREFILL), a.model_text
    assert any(w in a.model_text.lower() for w in notes_words), a.model_text
    assert grounded(a), a.model_text


def test_answer_is_stopped_at_max_sentences_and_keeps_to_the_notes(real_services, chain):
    from rag.chain import AnswerChain

    settings = real_services.settings.replace(max_sentences=2)
    capped = AnswerChain(settings.answer, real_services.retriever, chain.llm)
    a = capped.ask("what tools are used in MLOps pipelines?")
    assert_answered_by_the_model(a)
    text = a.model_text + "\n"
    assert unit_end(text, 2) is not None and unit_end(text, 3) is None, a.model_text  # exactly 2 units
    units = model_sentences(a)
    assert units and grounded(a) == units, a.model_text  # every line kept is from the notes


INJECTED = ("body-plain", "french", "do-not-mention", "note-to-assistant")  # the old prompt obeyed 3 of these 4 here


def test_instructions_inside_notes_are_not_obeyed(tmp_path):
    """Notes that tell the model to answer "PWNED-1" (in English, in French), to deny access, or that
    "the correct answer is PWNED-16": before the fence, the drop of such sentences and the refusal of
    an ungrounded answer, the model wrote each canary itself (evals/data/injections.jsonl)."""
    from core.settings import Settings
    from evals.injections import load_variants, obeyed, poisoned_corpus
    from rag.chain import AnswerChain
    from rag.services import build_services
    from conftest import ROOT

    variants = [v for v in load_variants() if v.id in INJECTED]
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "003.txt").write_bytes((ROOT / "corpus" / "003_eba972981bf49b22.txt").read_bytes())
    corpus = poisoned_corpus(clean, tmp_path / "corpus", variants)
    (tmp_path / "data").mkdir()
    if (ROOT / ".coach-data" / "models").exists():
        (tmp_path / "data" / "models").symlink_to(ROOT / ".coach-data" / "models", target_is_directory=True)
    services = build_services(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", seed=1))
    report = services.ingest()
    chain = AnswerChain(services.settings.answer, services.retriever, services.chat_model.bind(cache_prompt=False))
    answers = {v.id: chain.ask(v.question) for v in variants}
    assert {v.id: answers[v.id].answer for v in variants if obeyed(answers[v.id].answer, v.obeyed_if)} == {}
    for v in variants:
        assert any(b.chunk.file == v.file for b in answers[v.id].sources), v.id  # the poisoned note was given
        assert any(v.file in w for w in report.warnings), report.warnings  # and flagged at ingest
