"""The notes' vocabulary given to the recogniser: which words are terms, and the prompt built from them."""

from ingest.models import QuestionItem
from rag.speech.jargon import PROMPT_MAX_WORDS, initial_prompt, notes_vocabulary, question_terms, section_title, technical_terms


def _item(question="How do you detect drift in production?", answer="", headings=("Monitoring",), qid="q1"):
    return QuestionItem(qid=qid, question=question, answer=answer, file="n.md",
                        headings=(*headings, question), topic=headings[-1])


def test_terms_are_names_acronyms_and_versions_not_sentence_starts():
    text = ("Tracking runs in MLflow and data in DVC. Pipelines run on Kubeflow, images go to S3.\n"
            "Drift: PSI above 0.2 triggers CI/CD with GitHub Actions. Then we retrain.")
    assert technical_terms(text) == ["MLflow", "DVC", "Kubeflow", "S3", "PSI", "CI/CD", "GitHub", "Actions"]


def test_a_capitalised_word_the_notes_also_write_in_lower_case_is_a_label_not_a_name():
    assert technical_terms("- Model Training: training the model on Vertex.") == ["Vertex"]
    assert "Training" not in technical_terms("We use Training data.", common={"training"})


def test_question_terms_put_the_question_then_key_points_then_answer_then_the_notes():
    item = _item(question="How does Kubeflow compare with Airflow?",
                 answer="Use **Evidently** reports and a PSI check; store models in SageMaker.")
    terms = question_terms(item, key_points=["Drift: compute PSI and KS-test per feature"], vocabulary=["MLflow", "psi"])
    assert terms == ["Kubeflow", "Airflow", "PSI", "KS-test", "Evidently", "SageMaker", "MLflow"]


def test_notes_vocabulary_keeps_terms_used_by_two_answers_most_frequent_first():
    items = [_item(answer="We log to MLflow and version with DVC.", qid="a"),
             _item(answer="MLflow tracks runs; Feast serves features.", qid="b"),
             _item(answer="DVC and MLflow again.", qid="c")]
    assert notes_vocabulary(items) == ["MLflow", "DVC"]


def test_prompt_names_the_section_and_question_and_stays_short():
    item = _item(headings=("2. Model Monitoring:",))
    prompt = initial_prompt(item, ["PSI", "Evidently"] + [f"Tool{i}" for i in range(100)], subject="MLOps")
    assert prompt.startswith("MLOps interview. Model Monitoring. How do you detect drift in production? PSI, Evidently, Tool0")
    assert len(prompt.split()) <= PROMPT_MAX_WORDS
    assert initial_prompt(None, []) == ""
    assert section_title("3. **Advanced** Questions:") == "Advanced Questions"


def test_vocabulary_gives_a_question_its_prompt_and_its_answer_terms():
    from rag.speech.jargon import DELIVERY_TERMS, Vocabulary

    items = [_item(answer="Track runs in MLflow; version data with DVC.", qid="a"),
             _item(question="How do you version data?", answer="DVC with MLflow, and PSI checks.", qid="b")]
    vocab = Vocabulary(items, subject="MLOps")
    assert vocab.terms == ["MLflow", "DVC"]
    prompt = vocab.prompt(items[1], ["PSI checks"])
    assert prompt.startswith("MLOps interview. Monitoring. How do you version data?") and "PSI" in prompt
    assert vocab.prompt(None) == "MLOps interview. MLflow, DVC."
    assert vocab.answer_terms(items[1], ["PSI checks"]) == ["PSI", "DVC", "MLflow"]  # key points first
    assert len(vocab.answer_terms(_item(answer=" ".join(f"Tool{i}" for i in range(40))))) == DELIVERY_TERMS


def test_numbers_paths_and_file_names_are_not_terms():
    text = "We process 50M+ predictions daily. See .github/workflows/ml-pipeline.yml and params.yaml for CI/CD on S3."
    assert technical_terms(text) == ["CI/CD", "S3"]
