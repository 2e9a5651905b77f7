from __future__ import annotations


import pytest
from fsrs import Rating
from interview_samples import OTHER, PARTIAL, question, reference

from rag.interview.grading import Grade, grade_answer, score_to_rating, segment_answer
from rag.interview.keypoints import split_key_points

QUESTION = "What is a feature store and why use it?"
POINTS = [
    "A feature store is a central repository serving features for training and inference",
    "It keeps features consistent between training and serving, avoiding skew",
    "Popular feature stores are Feast and Tecton",
]
SOURCE = "002_x.txt > Fundamental MLOps Concepts > 2. What is a feature store"


class CountingEmbeddings:
    """Wraps the shared fake to count embedding calls."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def embed_documents(self, texts):
        self.calls += 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


# --- logic, with the bag-of-words fake ---------------------------------------------------------
@pytest.mark.parametrize("answer", ["", "   \n\t "])
def test_empty_answer_scores_zero(fake_embeddings, answer):
    emb = CountingEmbeddings(fake_embeddings)
    g = grade_answer(answer, QUESTION, POINTS, emb, source=SOURCE)
    assert g.score == 0 and g.empty and not g.off_topic
    assert g.message == "No answer given \u2014 here is what a full answer covers."
    assert [p.point for p in g.missing] == POINTS and g.covered == []
    assert all(p.source == SOURCE for p in g.points)
    assert emb.calls == 0


def test_points_and_segments_embedded_in_one_call(fake_embeddings):
    emb = CountingEmbeddings(fake_embeddings)
    grade_answer("A feature store is a central repository. Feast is one. Tecton is another.", QUESTION, POINTS, emb)
    assert emb.calls == 1


def test_partial_answer_names_missing_points(fake_embeddings):
    answer = ("So a feature store is basically a central repository, and it is serving the features for "
              "training and also for inference. Feast and Tecton are popular feature stores.")
    g = grade_answer(answer, QUESTION, POINTS, fake_embeddings, source=SOURCE)
    assert isinstance(g, Grade) and not g.empty and not g.off_topic
    assert [p.point for p in g.covered] == [POINTS[0], POINTS[2]]
    assert [p.point for p in g.missing] == [POINTS[1]]
    assert "2 of 3" in g.message and "consistent between training and serving" in g.message
    assert 35 <= g.score <= 85
    assert all(0 <= p.lexical <= 1 and -1 <= p.similarity <= 1 for p in g.points)


def test_full_answer_scores_high(fake_embeddings):
    g = grade_answer(". ".join(POINTS), QUESTION, POINTS, fake_embeddings)
    assert g.score >= 90 and len(g.covered) == 3 and g.verdict == "strong"


def test_off_topic_answer_flagged_and_capped(fake_embeddings):
    answer = "Kubernetes orchestrates containers across a cluster of nodes with pods, deployments and services."
    g = grade_answer(answer, QUESTION, POINTS, fake_embeddings)
    assert g.off_topic and g.score <= 15 and g.verdict == "off-topic"
    assert "does not address the question" in g.message


def test_one_word_answer_low_with_a_fair_message(fake_embeddings):
    g = grade_answer("Feast", QUESTION, POINTS, fake_embeddings)
    assert g.score <= 25 and g.verdict == "too short" and not g.empty
    assert "very brief" in g.message and "A full answer also covers" in g.message


def test_no_points_grades_relevance_only(fake_embeddings):
    on_topic = ("A feature store is a central repository that serves features for training and for inference, "
                "so a feature store keeps them consistent.")
    g = grade_answer(on_topic, QUESTION, [], fake_embeddings)
    assert g.points == [] and not g.off_topic and g.relevance > 0.45
    # the score is the answer's relevance to the question, on the similarity scale
    assert g.score == round(100 * (g.relevance - 0.30) / (0.80 - 0.30)) > 0
    off = grade_answer("Kubernetes orchestrates containers across a cluster of nodes with pods and services.",
                       QUESTION, [], fake_embeddings)
    assert off.off_topic and off.relevance < g.relevance and off.score == 0


def test_segments_split_spoken_run_ons():
    answer = ("so basically you route like five percent of traffic to the new model and then you watch the "
              "error rates and latency, and if it looks fine you increase it to fifty percent. Then all of it.")
    segs = segment_answer(answer)
    assert "you watch the error rates and latency" in segs
    assert "if it looks fine you increase it to fifty percent." in segs
    assert any(s.startswith("so basically") and s.endswith("fifty percent. Then all of it.") for s in segs)
    assert all(len(s.split()) <= 50 for s in segs)


@pytest.mark.parametrize(
    "score,rating",
    [(0, Rating.Again), (39, Rating.Again), (40, Rating.Hard), (59, Rating.Hard), (60, Rating.Good),
     (84, Rating.Good), (85, Rating.Easy), (100, Rating.Easy)],
)
def test_score_to_rating(score, rating):
    assert score_to_rating(score) == rating


# --- calibration, with the real MiniLM model -----------------------------------------------------
@pytest.fixture(scope="module")
def minilm():
    from rag.embeddings import MiniLMEmbeddings

    emb = MiniLMEmbeddings()
    emb.encode(["warm up"])
    return emb


def _grade(key: str, answer: str, emb) -> Grade:
    return grade_answer(answer, question(key), split_key_points(reference(key)), emb)


@pytest.mark.parametrize("key", sorted(PARTIAL))
def test_real_reference_answer_scores_high(minilm, key):
    g = _grade(key, reference(key), minilm)
    assert g.score >= 90, g
    g = _grade(key, "\n".join(split_key_points(reference(key))), minilm)
    assert g.score >= 90, g


@pytest.mark.parametrize("key", sorted(PARTIAL))
def test_real_empty_answer_scores_zero(minilm, key):
    assert _grade(key, "", minilm).score == 0


@pytest.mark.parametrize("key", sorted(PARTIAL))
def test_real_answer_to_another_question_scores_low(minilm, key):
    g = _grade(key, reference(OTHER[key]), minilm)
    assert g.score < 30, g


@pytest.mark.parametrize("key", sorted(PARTIAL))
def test_real_partial_spoken_answer_in_the_middle(minilm, key):
    answer, missing_words = PARTIAL[key]
    g = _grade(key, answer, minilm)
    assert 35 <= g.score <= 75, g
    assert g.covered and g.missing and not g.off_topic
    for word in missing_words:
        assert any(word.lower() in p.point.lower() for p in g.missing), (word, g)
        assert word.lower() in g.message.lower()


def test_real_one_word_answer(minilm):
    g = _grade("deploy", "Docker", minilm)
    assert g.score <= 25 and g.verdict == "too short"
