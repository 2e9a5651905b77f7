import pytest

from rag.compare import comparison


@pytest.mark.parametrize("question, sides", [
    ("explain canary vs blue-green", ("canary", "blue-green")),
    ("canary or blue-green?", ("canary", "blue-green")),
    ("What is the difference between Git and GitHub?", ("git", "github")),
    ("in Docker, how is an image different from a container?", ("image", "container")),
    ("what separates a classification problem from a regression problem?", ("classification problem", "regression problem")),
    ("how do bandit experiments compare to a classic A/B split?", ("bandit experiments", "classic a/b split")),
    ("should I pick a canary release or a blue/green switch — what's the trade-off?", ("canary", "blue/green switch")),
    ("Kubeflow vs Airflow for pipelines", ("kubeflow", "airflow")),
])
def test_comparisons_name_their_two_sides(question, sides):
    assert comparison(question).queries == sides


@pytest.mark.parametrize("question", [
    "what's going on when a model over- or under-fits",
    "which tools or libraries would you use?",
    "how do you handle missing or corrupted data?",
    "what is a model registry?",
    "Git or git?",
])
def test_other_questions_are_not_comparisons(question):
    assert comparison(question) is None


def test_a_comparison_searches_each_side_too_but_the_gate_reads_the_question(fake_services):
    retriever = fake_services.retriever
    q = "zebra quagga vs model registry"  # one side matches the notes well, the question as a whole less so
    r = retriever.search(q, k=3)
    assert r.queries == [q, "zebra quagga", "model registry"]
    assert any("registry" in h.chunk.heading.lower() for h in r.hits)
    whole = retriever._rank(retriever.searchable(), q, 20).best
    side = retriever._rank(retriever.searchable(), "model registry", 20).best
    assert side > whole and r.best_vector == whole
