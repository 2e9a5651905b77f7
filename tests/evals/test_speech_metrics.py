"""Scoring a transcript against what was said: normalised word error rate, errors on technical terms,
the gap between a transcript's grade and the grade of the text that was read."""

from evals.speech import grade_gaps, normalise, spoken_form, spoken_items, term_errors, term_positions, word_errors


def test_normalisation_makes_spelling_variants_equal():
    assert normalise("CI/CD, Weights & Biases: six pieces, 95%!") == normalise("ci-cd weights and biases 6 pieces 95 percent")


def test_word_error_rate_counts_substitutions_deletions_and_insertions():
    ref = "we track runs in MLflow and version data with DVC"
    assert word_errors(ref, ref).rate == 0
    e = word_errors(ref, "we track run in ML flow and version the data with DVC")
    assert (e.errors, e.words) == (4, 10)  # run for runs, ML flow for MLflow (2), "the" inserted


def test_term_errors_count_only_misheard_term_words():
    ref = "Then I track runs in MLflow and version data with DVC on S3."
    assert [normalise(ref)[i] for i in sorted(term_positions(ref))] == ["mlflow", "dvc", "s3"]
    e = term_errors(ref, "Then I track runs in ML flow and version data with DVC on S3.")
    assert (e.errors, e.words) == (1, 3)
    assert term_errors(ref, "then i track it").errors == 3


def test_the_spoken_set_is_the_strong_and_partial_answers_of_each_part():
    held, tune = spoken_items("heldout"), spoken_items("tune")
    assert len(held) == len(tune) == 40
    assert {i["style"] for i in held} == {"strong", "partial"}
    assert not {i["id"] for i in held} & {i["id"] for i in tune}
    assert spoken_form("CI/CD & A/B tests") == "CI CD  and  A B tests"


def test_a_compound_written_apart_is_not_two_errors():
    assert word_errors("store the datasets in the hyperparameter log", "store the data sets in the hyper parameter log").errors == 0
    assert word_errors("a fast car", "a fastcar").errors == 0
    assert term_errors("a FastAPI service", "a fast API service").errors == 1  # a term written apart is misheard


def test_grade_gaps_measure_spoken_against_typed_grades():
    rows = [{"id": "a", "text_score": 90, "spoken_score": 88}, {"id": "b", "text_score": 80, "spoken_score": 65},
            {"id": "c", "text_score": 70, "spoken_score": 80}, {"id": "d", "text_score": 50, "spoken_score": 61}]
    g = grade_gaps(rows)
    assert (g["n"], g["mean_abs_diff"], g["max_abs_diff"], g["mean_diff"]) == (4, 9.5, 15, 1.0)
    assert g["within_margin"] == 0.5  # 2 and 10 are within 10 points; 15 and 11 are not
    assert g["worst"] == [{"id": "b", "text_score": 80, "spoken_score": 65}, {"id": "d", "text_score": 50, "spoken_score": 61}]
    assert grade_gaps(rows, margin=15)["within_margin"] == 1.0
    assert grade_gaps([]) == {"n": 0}
