"""The real default chat model (Qwen2.5-Coder-1.5B via xllamacpp) answering with citations."""

import re

import pytest

pytestmark = pytest.mark.slow


def test_real_model_answers_compare_question_with_valid_citations(real_services):
    a = real_services.chain.ask("explain canary vs blue-green")
    assert a.covered and len(a.answer.split()) >= 15
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", a.answer)]
    assert markers, a.answer
    assert all(1 <= n <= len(a.sources) for n in markers)
    assert a.cited and set(a.cited) <= {h.n for h in a.sources}
    low = a.answer.lower()
    assert "canary" in low and ("blue" in low or "green" in low)
    assert a.timings["completion_tokens"] > 0 and a.timings["prompt_tokens"] > 0


def test_real_model_followup_and_decline(real_services):
    a = real_services.chain.ask("and how do you roll it back?", ["explain canary vs blue-green"])
    assert a.covered and "roll" in a.answer.lower()
    out = real_services.chain.ask("what is the time complexity of quicksort?")
    assert not out.covered and "don't cover" in out.answer


def test_real_model_refusals_of_answerable_questions_become_grounded_answers(real_services):
    # The 1.5B model opened both with "My notes don't cover that." in every run before the retry.
    questions = ["my model won't fit into one GPU's memory — what are my options?",
                 "how do you squeeze more out of your GPUs when training deep networks?"]
    answers = [real_services.chain.ask(q) for q in questions]
    assert any(a.retried for a in answers), [a.answer for a in answers]
    for a in answers:
        assert a.covered and "don't cover" not in a.answer.lower(), a.answer
        if a.retried:
            assert a.answer.startswith("According to my notes,") and a.cited, a.answer


def test_real_model_answer_is_stopped_at_max_sentences(real_services):
    from rag.chain import AnswerChain
    from rag.streaming import unit_end

    settings = real_services.settings.replace(**{"max_sentences": 2})
    chain = AnswerChain(settings, real_services.retriever, real_services.chat_model)
    a = chain.ask("what tools are used in MLOps pipelines?")
    assert a.covered and a.answer and unit_end(a.answer + "\n", 3) is None, a.answer  # at most 2 units
    assert a.timings["completion_tokens"] > 0
