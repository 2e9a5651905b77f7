"""Real questions and answers from the corpus, and hand-written spoken-style answers to them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "corpus"
_START = re.compile(r"^\s*(-\s*)?(\*\*Answer:\*\*|\*A:\*)\s*")
_END = re.compile(r"^\s*(#{1,6}\s|---\s*$|(\*\s+)?\*\*Q:|\*\s+\*\*Scenario:)")


def corpus_answer(prefix: str, question: str) -> str:
    """The written answer of ``question`` in the corpus file starting with ``prefix``.

    A test helper, not the ingest parser: the answer starts at the question's ``**Answer:**``
    / ``*A:*`` marker and stops at the next heading, rule or question.
    """
    path = next(CORPUS.glob(f"{prefix}*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if question in ln)
    out: list[str] = []
    started = False
    for ln in lines[start + 1 :]:
        if not started:
            if _START.match(ln):
                started = True
                if rest := _START.sub("", ln):
                    out.append(rest)
            continue
        if _END.match(ln):
            break
        out.append(ln)
    assert started, f"no answer found for {question!r}"
    return "\n".join(out).strip()


# key -> (corpus file prefix, line to find, question as asked)
QUESTIONS = {
    "canary": ("002", "### 9. What is canary", "What is canary deployment and how does it work?"),
    "git": ("000", "What is Git and why use it?", "What is Git and why use it?"),
    "drift": ("003", "Data Drift and Concept Drift", "What is the difference between Data Drift and Concept Drift?"),
    "model_drift": ("002", "### 3. What is model drift", "What is model drift, and how do you handle it in MLOps?"),
    "accuracy": ("003", "Your model's accuracy dropped", "Your model's accuracy dropped by 5% over the weekend. What do you check first?"),
    "feature_store": ("002", "### 2. What is a feature store", "What is a feature store, and why is it important in MLOps?"),
    "overfitting": ("000", "Explain overfitting and underfitting.", "Explain overfitting and underfitting."),
    "docker": ("000", "What is Docker Image vs Container?", "What is Docker Image vs Container?"),
    "deploy": ("000", "How do you deploy a model?", "How do you deploy a model?"),
}


def reference(key: str) -> str:
    prefix, line, _ = QUESTIONS[key]
    return corpus_answer(prefix, line)


def question(key: str) -> str:
    return QUESTIONS[key][2]


# Spoken-style answers covering about half of the reference, and a word each missing point
# must contain (the grader has to name it).
PARTIAL = {
    "canary": (
        "So canary deployment is basically when you release the new model to only a small group of users "
        "first, like five or ten percent of the traffic, and then you slowly increase it. And if something "
        "goes wrong, like the error rate goes up, you just roll back automatically to the old stable version.",
        ["Blue-Green"],
    ),
    "git": (
        "Git is a version control system, it keeps track of the changes in your code so that people can "
        "work together on it.",
        ["Advantages"],
    ),
    "drift": (
        "Data drift is when the input data that the model sees in production changes compared to what it "
        "was trained on.",
        ["Concept Drift"],
    ),
    "model_drift": (
        "Model drift means the model's performance degrades over time because the data patterns change. "
        "There's data drift where the input distribution changes and concept drift where the relationship "
        "with the target changes. You detect it with statistical tests like KS test or PSI, and when it "
        "crosses a threshold you trigger automated retraining.",
        ["Online learning", "Ensemble"],
    ),
    "accuracy": (
        "First I'd check the data pipeline, whether some data is missing or there are nulls coming in. "
        "Then I'd look at the upstream feature engineering code in case something changed.",
        ["Data Drift"],
    ),
}

# A good answer to a different question: (question key, key of the answer given)
OTHER = {
    "canary": "feature_store",
    "git": "overfitting",
    "drift": "docker",
    "model_drift": "deploy",
    "accuracy": "git",
}
