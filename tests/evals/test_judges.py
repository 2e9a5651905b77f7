"""The model-free judge's checks, with the real embedding model."""

import pytest

from evals.judges import EmbeddingJudge

CONTEXT = ("Canary deployment gradually rolls out new models to a small subset of users. "
           "Initial rollout: route 5-10% traffic to the new model. Blue-green switches all traffic at once.")


@pytest.fixture(scope="module")
def judge():
    from rag.embeddings import MiniLMEmbeddings

    return EmbeddingJudge(MiniLMEmbeddings())


def test_paraphrase_supported_planted_claims_not(judge):
    v = judge.judge([
        "A canary rollout first sends 5-10% of traffic to the new model.",
        "A canary rollout first sends 50% of traffic to the new model.",  # wrong number
        "Canary deployment rolls out new models to a large set of users at once.",  # opposite
        "Kubernetes operators schedule GPU nodes by cost.",  # off-topic
    ], CONTEXT)
    assert [x.supported for x in v] == [True, False, False, False]


def test_unknown_names_are_capitalised_words_the_context_never_uses():
    from evals.judges import unknown_names

    ctx = "Monitor with Prometheus and Grafana; version data with DVC and Git."
    assert unknown_names("Dashboards are built with Datadog and New Relic.", ctx) == ["Datadog", "New", "Relic"]
    assert unknown_names("Data is versioned with Git LFS.", ctx) == ["LFS"]
    assert unknown_names("Metrics go to prometheus, then Grafana.", ctx) == []
    assert unknown_names("Versioning uses DVC.", ctx) == []  # a sentence's first word is not a name


def test_llm_judge_asks_once_per_claim_and_reads_yes_or_no():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from evals.judges import LLMJudge

    seen = []

    class Recording(GenericFakeChatModel):
        def _generate(self, messages, *a, **k):
            seen.append(messages)
            return super()._generate(messages, *a, **k)

    replies = iter([AIMessage("YES"), AIMessage(" no."), AIMessage("Supported"), AIMessage("maybe")])
    verdicts = LLMJudge(Recording(messages=replies)).judge(["c1 claim", "c2 claim", "c3 claim", "c4 claim"], CONTEXT)
    assert [v.supported for v in verdicts] == [True, False, True, False]
    assert len(seen) == 4 and all(CONTEXT in m[-1].content for m in seen)
    assert [m[-1].content.split("Claim: ")[1].split("\n")[0] for m in seen] == ["c1 claim", "c2 claim", "c3 claim", "c4 claim"]


@pytest.mark.slow
def test_real_llm_judge_backs_a_paraphrase_and_catches_a_wrong_number(real_services):
    from evals.judges import LLMJudge

    verdicts = LLMJudge(real_services.chat_model).judge([
        "A canary rollout first sends 5-10% of traffic to the new model.",
        "A canary rollout first sends 50% of traffic to the new model.",
    ], CONTEXT)
    assert [v.supported for v in verdicts] == [True, False], [v.evidence for v in verdicts]
