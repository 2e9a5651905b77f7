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
