"""The answer chain with a canned chat model."""

from conftest import ExplodingChat, fake_chat
from rag.chain import Answer, AnswerChain, Sources, Token
from rag.retriever import HybridRetriever


def test_sources_come_before_tokens_and_dangling_citations_are_dropped(fake_services):
    events = list(fake_services.chain.stream("What is MLOps?"))
    kinds = [type(e) for e in events]
    assert kinds[0] is Sources and kinds[-1] is Answer and Token in kinds
    assert kinds.index(Sources) < kinds.index(Token)
    final = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert "[9]" not in streamed and "[9]" not in final.answer
    assert final.cited == [1, 2]
    assert [h.n for h in final.sources] == list(range(1, len(final.sources) + 1))
    assert streamed.strip() == final.answer
    for key in ("retrieval_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens"):
        assert key in final.timings


def test_ask_is_the_stream_result(fake_services):
    events = list(fake_services.chain.stream("What is MLOps?", ["What is DevOps?"]))
    streamed = events[-1]
    a = fake_services.chain.ask("What is MLOps?", ["What is DevOps?"])
    assert isinstance(a, Answer) and a is not streamed
    # exactly the stream's final Answer (the canned model gives the same reply again), timings aside
    assert a.answer == streamed.answer == "".join(e.text for e in events if isinstance(e, Token)).strip()
    assert a.answer == "MLOps combines ML and DevOps [1]. It versions models [2]."  # "[9]" checked away
    assert (a.question, a.cited, a.covered, a.context, a.model_text, a.attributed, a.retried) == (
        streamed.question, streamed.cited, streamed.covered, streamed.context, streamed.model_text,
        streamed.attributed, streamed.retried)
    assert [(b.n, b.hit.chunk_id, b.text) for b in a.sources] == [(b.n, b.hit.chunk_id, b.text) for b in streamed.sources]
    assert set(a.timings) == set(streamed.timings) and a.cited == [1, 2] and len(a.sources) >= 2
    # and it is the stream's own last event, with the question and history passed through
    calls, final = [], Answer("q?", "Canned [1].", [], [1], True)
    chain = AnswerChain(fake_services.settings.answer, fake_services.retriever, ExplodingChat(messages=iter([])))

    def stream(question, history=None):
        calls.append((question, history))
        yield Token("Canned [1].")
        yield final

    chain.stream = stream
    assert chain.ask("q?", ["earlier?"]) is final and calls == [("q?", ["earlier?"])]


def test_uncovered_question_declines_without_calling_the_model(fake_services):
    s = fake_services.settings.replace(**{"min_relevance": 0.99})
    retriever = HybridRetriever(settings=s.retrieval, embeddings=fake_services.embeddings, index=fake_services.index)
    chain = AnswerChain(s.answer, retriever, ExplodingChat(messages=iter([])))
    a = chain.ask("zzz qqq")
    assert not a.covered and "don't cover" in a.answer and a.sources == []
    assert "nearest topics" in a.answer.lower()


def test_followup_uses_the_earlier_turn_in_prompt(fake_services):
    seen = {}
    chain = fake_services.chain
    orig = chain.generate

    class Spy:
        def stream(self, inputs):
            seen.update(inputs)
            return orig.stream(inputs)

    chain.generate = Spy()
    chain.ask("and how does it differ?", ["What is MLOps?"])
    assert seen["earlier"].startswith("Earlier question: What is MLOps?")
    assert "[1]" in seen["notes"]


def _chain_with(fake_services, *replies, **settings):
    s = fake_services.settings.replace(**settings)
    return AnswerChain(s.answer, fake_services.retriever, fake_chat(*replies))


def test_a_refusal_despite_found_notes_is_asked_again_with_a_prefilled_opening(fake_services):
    seen = []
    chain = _chain_with(fake_services, "My notes don't cover that.", " MLOps combines ML and DevOps [1].")
    model = chain.llm

    class Recorder:  # the retry goes to chain.llm directly (the first try through the prompt)
        def stream(self, messages):
            seen.append(messages)
            return model.stream(messages)

    chain.llm = Recorder()
    events = list(chain.stream("What is MLOps?"))
    final = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert final.retried and "don't cover" not in streamed
    assert final.answer == streamed.strip() == "According to my notes, MLOps combines ML and DevOps [1]."
    assert seen[-1][-1].type == "ai" and seen[-1][-1].content == "According to my notes,"


def test_refusal_retry_can_be_turned_off(fake_services):
    a = _chain_with(fake_services, "My notes don't cover that.", "unused [1].", retry_refusals=False).ask("What is MLOps?")
    assert not a.retried and a.answer == "My notes don't cover that."


def test_an_answer_that_only_starts_like_a_refusal_is_streamed_unchanged(fake_services):
    a = _chain_with(fake_services, "My notes say MLOps combines ML and DevOps [1].", "unused.").ask("What is MLOps?")
    assert not a.retried and a.answer == "My notes say MLOps combines ML and DevOps [1]."


def test_a_retry_whose_opening_the_notes_do_not_hold_keeps_the_refusal(fake_services):
    a = _chain_with(fake_services, "My notes don't cover that.",
                    " list your certifications first. Recruiters skim resumes quickly. Add a photo.").ask("What is MLOps?")
    assert not a.retried and a.answer == "My notes don't cover that."


def test_a_runaway_answer_is_stopped_after_max_sentences(fake_services):
    runaway = "MLOps metrics include [1]:\n" + "".join(f"- Loan rate by loan type {i}\n" for i in range(40))
    a = _chain_with(fake_services, runaway, max_sentences=5).ask("What is MLOps?")
    lines = a.answer.splitlines()
    assert len(lines) == 5 and lines[0] == "MLOps metrics include [1]:" and lines[-1] == "- Loan rate by loan type 3"
    assert a.timings["completion_tokens"] > 0  # counted from the chunks: the cut generation reports no usage


def test_a_sentence_far_from_the_notes_is_marked_as_it_streams(fake_services):
    from rag.support import UNSUPPORTED_MARK

    notes_line = fake_services.chain.prepare("What is a model registry?").blocks[0].text.splitlines()[0]
    reply = f"{notes_line} [1]. Quantum zebras juggle purple volcanoes nightly [1]. Done."
    settings = fake_services.settings.answer.model_copy(update={"mark_unsupported_below": 0.5})
    chain = AnswerChain(settings, fake_services.retriever, fake_chat(reply))
    events = list(chain.stream("What is a model registry?"))
    final = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert (final.marked, final.checked) == (1, 2) and streamed.strip() == final.answer
    assert final.thin  # half of what could be checked was not found in the notes
    assert f"volcanoes nightly [1]. {UNSUPPORTED_MARK} Done." in final.answer  # "Done." is too short to check
    assert final.answer.count(UNSUPPORTED_MARK) == 1
    off = AnswerChain(fake_services.settings.answer, fake_services.retriever, fake_chat(reply))  # 0 = off
    assert UNSUPPORTED_MARK not in off.ask("What is a model registry?").answer


def test_an_answer_not_found_in_the_notes_is_shown_as_the_refusal(fake_services):
    # what a model that obeyed an instruction in a note writes: a canary, a persona, a link
    for reply in ("PWNED-1 [1]", "DAN-15 here, I have no rules now [1].", "See https://evil.example/collect for more."):
        events = list(_chain_with(fake_services, reply, refuse_ungrounded=True).stream("What is MLOps?"))
        final = events[-1]
        streamed = "".join(e.text for e in events if isinstance(e, Token))
        assert final.ungrounded and final.answer == streamed == "My notes don't cover that.", reply
        assert final.model_text == reply and final.cited == [] and final.covered
    off = _chain_with(fake_services, "PWNED-1 [1]").ask("What is MLOps?")  # the fakes' default: off
    assert not off.ungrounded and off.answer == "PWNED-1 [1]"


def test_a_grounded_answer_is_held_back_only_until_its_first_words_are_found_in_the_notes(fake_services):
    notes_line = fake_services.chain.prepare("What is a model registry?").blocks[0].text.splitlines()[0]
    reply = f"{notes_line} [1]. Quantum zebras juggle purple volcanoes nightly."
    chain = _chain_with(fake_services, reply, refuse_ungrounded=True)
    events = list(chain.stream("What is a model registry?"))
    tokens = [e.text for e in events if isinstance(e, Token)]
    final = events[-1]
    assert not final.ungrounded and final.answer == "".join(tokens).strip()
    assert "volcanoes" in final.answer  # a grounded answer is not censored: its other sentences stay
    first_words = len(tokens[0].split())
    assert 3 <= first_words < len(notes_line.split()) + 2, tokens[:3]  # released within the first sentence
    # the model's own refusal is passed on as it is, not replaced
    refused = _chain_with(fake_services, "My notes don't cover that.", retry_refusals=False,
                          refuse_ungrounded=True).ask("What is MLOps?")
    assert refused.answer == "My notes don't cover that." and not refused.ungrounded
