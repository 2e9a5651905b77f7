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
    a = fake_services.chain.ask("What is MLOps?")
    assert isinstance(a, Answer) and a.answer.startswith("MLOps combines") and a.covered


def test_uncovered_question_declines_without_calling_the_model(fake_services):
    s = fake_services.settings.model_copy(update={"min_relevance": 0.99})
    retriever = HybridRetriever(settings=s, embeddings=fake_services.embeddings, store=fake_services.store)
    chain = AnswerChain(s, retriever, ExplodingChat(messages=iter([])))
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
