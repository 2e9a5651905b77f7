from __future__ import annotations

import pytest
from interview_samples import corpus_answer, reference

from rag.interview.keypoints import split_key_points

SAMPLE = """\
A feature store is a centralized repository that serves features for training and inference.

**Benefits in MLOps:**

- **Consistency**: Same features for training and serving (prevents skew)
- **Reusability**: Teams can discover and reuse existing features
- ok then

Methods:

* Offline store keeps historical features for training
* Online store serves fresh features with low latency

```python
def get_features(entity_id):
    return store.get_online_features(entity_id)
```

> A feature store is a centralized repository that serves features for training and inference.
"""


def test_inline_sample_bullets_sentences_and_labels():
    points = split_key_points(SAMPLE)
    assert points == [
        "A feature store is a centralized repository that serves features for training and inference.",
        "Consistency: Same features for training and serving (prevents skew)",
        "Reusability: Teams can discover and reuse existing features",
        "Offline store keeps historical features for training",
        "Online store serves fresh features with low latency",
    ]


def test_labels_code_markdown_fragments_dropped():
    points = split_key_points(SAMPLE)
    text = " ".join(points)
    assert "Benefits in MLOps" not in text and "Methods" not in text  # label-only lines
    assert "get_features" not in text  # fenced code
    assert "ok then" not in text  # a fragment under 3 words
    assert not any(s in text for s in ("**", "> ", "`"))
    assert len(points) == len(set(points))  # the quoted repeat was de-duplicated


def test_quote_and_answer_tag_stripped():
    assert split_key_points("*A:* DVC is platform-agnostic and handles data lineage.") == [
        "DVC is platform-agnostic and handles data lineage."
    ]
    assert split_key_points("> Git is a distributed version control system that tracks code changes.") == [
        "Git is a distributed version control system that tracks code changes."
    ]


def test_short_items_under_a_label_are_kept_with_it():
    points = split_key_points("- Focuses on:\n  - Continuous integration & delivery\n  - Monitoring & retraining\n")
    assert points == ["Focuses on: Continuous integration & delivery, Monitoring & retraining"]
    points = split_key_points("Focuses on:\n- Continuous integration and delivery\n- Model versioning & reproducibility\n"
                              "- Monitoring & retraining\n")
    assert points[-1] == "Focuses on: Monitoring & retraining"


ITEMS = [
    "Track experiments with MLflow",
    "Version datasets and models with DVC so every run can be reproduced later",
    "Pin dependencies",
    "Containerize the training code with Docker and fixed base images",
    "Seed random generators",
    "Store raw data immutably with timestamps and never modify it in place",
    "Record lineage",
    "Define infrastructure as code with Terraform and versioned Kubernetes manifests",
]


def test_cap_keeps_most_informative_in_order():
    points = split_key_points("\n".join(f"- {t}" for t in ITEMS), max_points=4)
    assert points == [ITEMS[1], ITEMS[3], ITEMS[5], ITEMS[7]]
    # under the cap all stay, but for the two-word fragments ("Pin dependencies", "Record lineage")
    all_points = split_key_points("\n".join(f"{i}. {t}" for i, t in enumerate(ITEMS, 1)))
    assert all_points == [t for t in ITEMS if len(t.split()) >= 3]


def test_table_rows_become_points():
    table = """\
| Aspect     | DevOps            | MLOps                              |
|------------|-------------------|------------------------------------|
| Artifact   | Code binaries     | Trained ML models, data pipelines  |
| Versioning | Git for code      | Git + DVC/MLflow for code and data |
"""
    assert split_key_points(table) == [
        "Artifact \u2014 DevOps: Code binaries; MLOps: Trained ML models, data pipelines",
        "Versioning \u2014 DevOps: Git for code; MLOps: Git + DVC/MLflow for code and data",
    ]


def test_empty_and_label_only():
    assert split_key_points("") == []
    assert split_key_points("**Benefits:**\n\nMethods:") == []


def test_real_canary_answer_grouped_to_a_handful():
    points = split_key_points(reference("canary"))
    assert 4 <= len(points) <= 8
    assert points[0].startswith("Canary deployment gradually rolls out new models")
    assert any(p.startswith("Rollback procedures:") and "Circuit breaker" in p for p in points)
    assert any("vs Blue-Green" in p for p in points)
    assert not any("**" in p for p in points)


def test_real_short_answers():
    assert split_key_points(reference("git")) == [
        "Git is a distributed version control system that tracks code changes and allows collaboration.",
        "Advantages: version history, branching, merging, easy rollback, and conflict resolution.",
    ]
    # a one-sentence contrast becomes two points, so a half answer can get half credit
    assert split_key_points(reference("drift")) == [
        "Data Drift is a change in the inputs (x)",
        "Concept Drift is a change in the mapping from input to output (y|x).",
    ]
    assert split_key_points(reference("deploy")) == [
        "REST API using Flask/FastAPI",
        "Containerization with Docker",
        "Cloud: AWS SageMaker, GCP AI Platform, Azure ML",
        "Kubernetes for scaling",
    ]


def test_real_list_of_bare_names_becomes_one_point():
    points = split_key_points(corpus_answer("001", "### 2. What are the stages"))
    assert len(points) == 1
    assert points[0].startswith("Data Collection, Data Preprocessing & Validation, Model Training")


@pytest.mark.parametrize(
    "prefix,line",
    [
        ("002", "### 3. What is model drift"),
        ("002", "### 6. How do you implement A/B"),
        ("004", "### **6. Explain the difference"),
        ("004", "### **7. How do you handle model deployment"),
        ("004", "### **10. How do you handle data drift"),
    ],
)
def test_real_long_answers_capped(prefix, line):
    points = split_key_points(corpus_answer(prefix, line))
    assert 3 <= len(points) <= 8
    assert len(points) == len(set(points))
    assert not any("**" in p or "```" in p or "def " in p for p in points)
    assert all(len(p.split()) >= 3 for p in points)
