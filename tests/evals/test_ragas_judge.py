"""ragas' faithfulness beside our judges: endpoint choice, scoring through ragas' own metric with a
fake judge LLM, and an eval that survives an unreachable judge."""

from conftest import fake_ragas_llm
from evals.ragas_judge import JudgeEndpoint, RagasFaithfulness, judge_endpoint, make_ragas_judge
from evals.run import run_eval
from core.settings import Settings


class _LocalModel:
    def http_endpoint(self):
        return "http://127.0.0.1:5555/v1", "secret"


def test_judge_endpoint_is_chosen_from_the_settings(tmp_path):
    def endpoint(chat_model=None, **kw):
        s = Settings(data_dir=tmp_path, **kw)
        return judge_endpoint(s.judge, s.chat, chat_model)

    assert endpoint() is None  # local chat model, nothing configured
    assert endpoint(llm_provider="openai", openai_base_url="http://h:1/v1", openai_model="m",
                    openai_api_key="k") == JudgeEndpoint("http://h:1/v1", "m", "k")
    assert endpoint(judge_base_url="http://j:2/v1", judge_model="big") == JudgeEndpoint("http://j:2/v1", "big", "not-needed")
    assert endpoint(_LocalModel(), judge_base_url="local") == JudgeEndpoint("http://127.0.0.1:5555/v1", "local", "secret")
    s = Settings(data_dir=tmp_path)
    judge, note = make_ragas_judge(s.judge, s.chat)
    assert judge is None and "COACH_JUDGE_BASE_URL" in note


def test_ragas_faithfulness_is_the_share_of_supported_statements():
    llm = fake_ragas_llm(["Canary shifts traffic gradually.", "Canary was invented in 1990."], [1, 0])
    with RagasFaithfulness(llm) as judge:
        assert judge.score("what is canary?", "Canary shifts traffic gradually; invented in 1990.",
                           "Canary deployment gradually shifts traffic.") == 0.5
    assert any("invented in 1990" in p for p in llm.prompts)  # the answer reached ragas' prompt
    assert any("gradually shifts traffic" in p for p in llm.prompts)  # and so did the context


def test_a_failing_ragas_judge_scores_none_and_keeps_the_error():
    with RagasFaithfulness(fake_ragas_llm([], [], fail=ValueError("bad JSON"))) as judge:
        assert judge.score("q?", "An answer.", "Some context.") is None
        assert judge.errors and "bad JSON" in judge.errors[0]


def test_eval_with_an_unreachable_judge_endpoint_finishes_and_says_so(fake_services):
    s = fake_services.settings.replace(**{"judge_base_url": "http://127.0.0.1:9/v1", "judge_model": "x"})
    fake_services.settings = s
    report = run_eval(fake_services, limit=2, kinds=["factual"], llm_judge=False)
    note = report["summary"]["ragas"]
    assert note.startswith("ran with x at http://127.0.0.1:9/v1") and "2 failed" in note, note
    assert all(r.get("faithfulness_ragas") is None for r in report["rows"])


def test_one_judge_scores_many_answers_on_one_event_loop():
    """The async HTTP client of a real judge is bound to the loop of its first call."""
    import asyncio

    loops = set()
    llm = fake_ragas_llm(["Canary shifts traffic gradually."], [1])
    original = llm.agenerate

    async def spy(prompt, response_model):
        loops.add(id(asyncio.get_running_loop()))
        return await original(prompt, response_model)

    llm.agenerate = spy
    with RagasFaithfulness(llm) as judge:
        assert [judge.score("q?", "Canary shifts traffic gradually.", "ctx") for _ in range(3)] == [1.0, 1.0, 1.0]
    assert len(loops) == 1
