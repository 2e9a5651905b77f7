import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from ingest.parse import normalize_heading, parse_units, strip_numbering, strip_label
from ingest.text import clean_text, read_note

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@cache
def corpus_units(prefix: str):
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return tuple(parse_units(path.name, clean_text(read_note(path))))


def questions(units):
    return [u for u in units if u.kind != "section"]


@pytest.mark.parametrize(
    "raw, norm",
    [
        ("## **1. Git & Version Control**", "1. Git & Version Control"),
        ("### 9. What is canary deployment and how does it work?", "9. What is canary deployment and how does it work?"),
        ("# 1. Very Basic Level:", "1. Very Basic Level:"),
        ("## *Intro*  ##", "Intro"),
        ("__Bold__   title", "Bold title"),
        ("Plain   text", "Plain text"),
        ("## C# tips #", "C# tips"),
        ("snake_case_name", "snake_case_name"),
    ],
)
def test_normalize_heading(raw, norm):
    assert normalize_heading(raw) == norm


def test_strip_numbering():
    assert strip_numbering("9. What is X?") == "What is X?"
    assert strip_numbering("Scenario 1: Latency") == "Scenario 1: Latency"


# ---- format a): heading question, interviewer hints, **Answer:**

HEADING_Q = """# Title
## **Model Deployment and Serving**

### 9. What is canary deployment and how does it work?

- Define canary deployment
- Compare with blue-green

**Answer:**
Canary deployment gradually rolls out new models.

- **Initial rollout**: 5% traffic

### 10. Tell me about yourself.

**Answer:**
"I am an engineer."
"""


def test_heading_question_with_hints():
    q9, q10 = parse_units("n.md", HEADING_Q)
    assert q9.kind == "qa"
    assert q9.headings == ("Title", "Model Deployment and Serving", "9. What is canary deployment and how does it work?")
    assert q9.question == "What is canary deployment and how does it work?"
    assert q9.answer == "Canary deployment gradually rolls out new models.\n\n- **Initial rollout**: 5% traffic"
    assert "Define canary deployment" in q9.body and "Define canary" not in q9.answer
    assert q9.line == 4
    # no "?" but followed by **Answer:**
    assert q10.question == "Tell me about yourself." and q10.answer == '"I am an engineer."'


# ---- format b): **Q:** + **Answer:** + quoted answer; H2 question with **Answer:**

INLINE_Q = """## **1. Git & Version Control**

**Q:** What is Git and why use it?
**Answer:**

> Git is a distributed version control system.

**Q:** How do you deploy a model?
**Answer:**

> Methods:

* REST API using Flask/FastAPI
* Docker

---

✅ **Tips to Crack the Interview**:

1. Prepare an end-to-end project.

# 2. Basic Level Q&A

## **1. Why Use MongoDB in MLOps**

**Answer:**

> MongoDB is a **NoSQL database**.
"""


def test_inline_q_and_h2_question():
    units = parse_units("n.md", clean_text(INLINE_Q))
    assert [u.kind for u in units] == ["qa", "qa", "section", "qa"]
    git, deploy, tips, mongo = units
    assert git.headings == ("1. Git & Version Control", "What is Git and why use it?")
    assert git.question == "What is Git and why use it?"
    assert git.answer == "Git is a distributed version control system."
    assert git.line == 3
    assert deploy.answer == "Methods:\n\n* REST API using Flask/FastAPI\n* Docker"
    assert tips.headings == ("1. Git & Version Control",) and tips.body.startswith("**Tips to Crack")
    assert mongo.headings == ("2. Basic Level Q&A", "1. Why Use MongoDB in MLOps")
    assert mongo.question == "Why Use MongoDB in MLOps"
    assert mongo.answer == "MongoDB is a **NoSQL database**."


# ---- format c): bulleted bold Q / Scenario with an indented *A:*

BULLET_Q = """## 1. Lifecycle & Process

*   **Q: What is the difference between Data Drift and Concept Drift?**
    - *A:* Data Drift is a change in the inputs.
*   **Q: Explain "Shadow Deployment."**
    - *A:* Running a new model without using its outputs.

## 3. Engineering Scenarios

*   **Scenario: Your model's accuracy dropped by 5%. What do you check first?**
    - *A:* First, check for **Data Pipeline failures**.
"""


def test_bulleted_q_and_scenario():
    drift, shadow, scen = parse_units("n.md", BULLET_Q)
    assert drift.kind == "qa" and drift.question == "What is the difference between Data Drift and Concept Drift?"
    assert drift.headings[-1] == drift.question
    assert drift.answer == "Data Drift is a change in the inputs."
    assert shadow.question == 'Explain "Shadow Deployment."'
    assert scen.kind == "scenario"
    assert scen.question == "Your model's accuracy dropped by 5%. What do you check first?"
    assert scen.answer == "First, check for **Data Pipeline failures**."
    assert scen.headings[:-1] == ("3. Engineering Scenarios",)


# ---- format d): ### Scenario N + **Question:**, no answer

SCENARIOS = """## **Real-World Scenario Questions**

### Scenario 1: Model Latency Issues

**Question:** Your fraud model has increased latency. How do you debug it?

### Scenario 2: Scaling

**Question:** You deploy 100+ models. How do you ensure smooth operations?

---

## **Additional Topics**

- **Model Registries**: Centralized model management
"""


def test_scenario_heading_with_question_label():
    s1, s2, extra = parse_units("n.md", SCENARIOS)
    assert s1.kind == s2.kind == "scenario"
    assert s1.headings == ("Real-World Scenario Questions", "Scenario 1: Model Latency Issues")
    assert s1.question == "Your fraud model has increased latency. How do you debug it?"
    assert s1.answer == "" and s2.answer == ""
    assert extra.kind == "section" and extra.headings == ("Additional Topics",)


# ---- format e): a table is the answer


def test_table_answer_without_label():
    md = "## Basics\n\n### 3. How does MLOps differ from DevOps?\n\n| Aspect | DevOps | MLOps |\n|---|---|---|\n| Artifact | Code | Models |\n\n---\n"
    (u,) = parse_units("n.md", md)
    assert u.kind == "qa" and u.question == "How does MLOps differ from DevOps?"
    assert u.answer.startswith("| Aspect") and u.answer.endswith("| Models |")


# ---- structure


def test_hash_comments_in_code_fences_are_not_headings():
    md = "## Ops\n\n### 1. How do you detect drift?\n\n**Answer:**\n```python\n# Example drift detection\nx = 1\n```\n\n~~~bash\n# run it\n~~~\nDone.\n"
    units = parse_units("n.md", md)
    assert len(units) == 1
    assert "# Example drift detection" in units[0].answer and units[0].answer.endswith("Done.")
    assert all("Example drift detection" not in h for h in units[0].headings)


def test_heading_path_resets_and_sections():
    md = "intro text\n# A\n## B\n### C\ntext c\n## D\ntext d\n\n---\n\n# E\n---\n"
    units = parse_units("n.md", md)
    assert [(u.headings, u.body, u.line) for u in units] == [
        ((), "intro text", 1),
        (("A", "B", "C"), "text c", 4),
        (("A", "D"), "text d", 6),
    ]
    assert all(u.kind == "section" for u in units)


def test_question_heading_with_empty_body_takes_its_subsections():
    md = "# 2. Basic Level Q&A\n## **2. How to Build a Robust Pipeline**\n\n### **Components**\n\n1. Data\n\n---\n\n### **Tools**\n\n* FastAPI\n\n---\n## 3. Next\ntext\n"
    pipe, nxt = parse_units("n.md", md)
    assert pipe.kind == "qa" and pipe.question == "How to Build a Robust Pipeline"
    assert pipe.answer == "**Components**\n\n1. Data\n\n**Tools**\n\n* FastAPI"
    assert nxt.headings == ("2. Basic Level Q&A", "3. Next")


def test_text_after_rule_is_not_part_of_the_answer():
    md = "## Salary\n### **23. What are your salary expectations?**\n**Answer:**\nA range.\n\n---\n\nThis preparation covers the likely questions.\n"
    q, tail = parse_units("n.md", md)
    assert q.answer == "A range." and tail.kind == "section" and tail.headings == ("Salary",)


# ---- the real notes


def test_002_has_50_questions_and_10_scenarios():
    qs = questions(corpus_units("002"))
    kinds = Counter(u.kind for u in qs)
    assert kinds == {"qa": 50, "scenario": 10}
    numbered = [u for u in qs if u.kind == "qa"]
    assert [int(u.headings[-1].split(".")[0]) for u in numbered] == list(range(1, 51))
    assert all(u.answer for u in numbered)
    assert all(u.answer == "" for u in qs if u.kind == "scenario")
    q9 = numbered[8]
    assert q9.question == "What is canary deployment and how does it work?"
    assert q9.headings[-2] == "Model Deployment and Serving"
    assert "Define canary deployment" not in q9.answer and q9.answer.startswith("Canary deployment gradually")


def test_001_has_11_questions_including_the_table_one():
    qs = questions(corpus_units("001"))
    assert len(qs) == 11 and all(u.kind == "qa" and u.answer for u in qs)
    assert qs[2].question == "How does MLOps differ from traditional DevOps?" and qs[2].answer.startswith("| Aspect")
    assert qs[3].headings[-2] == "Tools & Pipelines"  # was "‚öôÔ∏è Tools & Pipelines"


def test_003_has_6_questions_and_2_scenarios():
    qs = questions(corpus_units("003"))
    assert Counter(u.kind for u in qs) == {"qa": 6, "scenario": 2}
    assert all(u.answer for u in qs)
    assert qs[3].headings == ("15. MLOps Interview Preparation", "2. Infrastructure & Scaling", "When would you use a Feature Store?")


def test_004_has_23_numbered_questions():
    qs = questions(corpus_units("004"))
    assert len(qs) == 23 and all(u.kind == "qa" and u.answer for u in qs)
    assert [int(u.headings[-1].split(".")[0]) for u in qs] == list(range(1, 24))
    assert qs[0].question == "Tell me about yourself."
    assert "```python\n# Example drift detection" in qs[9].answer  # code comment stays in the answer
    assert "comprehensive interview preparation" not in qs[-1].answer


def test_000_has_25_q_items_and_5_h2_questions():
    qs = questions(corpus_units("000"))
    inline = [u for u in qs if u.headings[0] == "1. Very Basic Level:"]
    h2 = [u for u in qs if u.headings[0] == "2. Basic Level Q&A"]
    assert len(inline) == 25 and len(h2) == 5 and len(qs) == 30
    assert all(u.headings[-1] == u.question and len(u.headings) == 3 for u in inline)
    assert all(len(u.headings) == 2 for u in h2)
    assert h2[0].question == "Why Use MongoDB in MLOps / Data Science"
    assert all(u.answer and not re.search(r"^>", u.answer, re.M) for u in qs)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_real_units_are_clean(prefix):
    for u in corpus_units(prefix):
        assert u.body.strip() and u.body.strip() != "---"
        for field in (*u.headings, u.body, u.question or "", u.answer or ""):
            for mark in ("ü", "‚Ä", "Ô∏", "🚀", "\uf8ff", "✅"):
                assert mark not in field
            assert "**Answer:**" not in (u.answer or "")


# Notes written the way other people write them (our own text, in formats the seed notes do not use).
OTHER_PEOPLES_NOTES = """# Git Interview Prep

## Basics

### Question 1: Explain `git bisect` and how it's used
Binary search through the history to find the commit that introduced a bug.

#### Steps
1. Run git bisect start.
2. Mark one good and one bad commit.

#### When to use it
When a regression appeared somewhere between two known commits.

### Q2: Walk me through a rebase
You replay your own commits on top of another branch.

### Q3. Describe how a merge conflict arises
Two branches change the same lines of the same file.

### Write a Git command that undoes the last commit but keeps the changes
git reset --soft HEAD~1 moves the branch back and keeps the work staged.

### Design a branching strategy for a team of ten
Trunk-based development with short-lived feature branches and required reviews.

### Compare merge and rebase
A merge keeps the history as it happened; a rebase rewrites it into a line.

### Notes on tooling
Some plain text about editors that asks nothing.

## Q&A

**Q:** What is a detached HEAD?
**Answer:** HEAD points at a commit rather than at a branch.
"""

EXPECTED_QUESTIONS = [
    "Explain git bisect and how it's used",
    "Walk me through a rebase",
    "Describe how a merge conflict arises",
    "Write a Git command that undoes the last commit but keeps the changes",
    "Design a branching strategy for a team of ten",
    "Compare merge and rebase",
    "What is a detached HEAD?",
]


def test_questions_are_found_however_the_notes_phrase_them():
    units = parse_units("git.md", OTHER_PEOPLES_NOTES)
    found = [u.question for u in units if u.kind == "qa"]
    assert found == EXPECTED_QUESTIONS, f"found {len(found)} of {len(EXPECTED_QUESTIONS)}: {found}"
    assert not any(u.question and u.question.startswith(("Q", "Question")) and u.question[1:2].isdigit()
                   for u in units)  # labels are not part of the question
    assert "Notes on tooling" in [u.headings[-1] for u in units if u.kind == "section"]


def test_an_answer_runs_on_through_its_subheadings_to_the_next_question():
    units = {u.question: u for u in parse_units("git.md", OTHER_PEOPLES_NOTES) if u.question}
    bisect = units["Explain git bisect and how it's used"].answer
    assert bisect.startswith("Binary search through the history")
    assert "**Steps**" in bisect and "Mark one good and one bad commit." in bisect
    assert "When a regression appeared somewhere between two known commits." in bisect
    assert "replay" not in bisect  # the next question's answer is not part of it


def test_a_question_subheading_is_not_swallowed_by_the_question_above():
    text = "## Drift\n\n### 1. What is drift?\nThe data changes.\n\n#### 1.1 How do you detect it?\nWith PSI.\n"
    qs = [(u.question, u.answer) for u in parse_units("d.md", text) if u.kind == "qa"]
    assert qs == [("What is drift?", "The data changes."), ("How do you detect it?", "With PSI.")]


@pytest.mark.parametrize("title, question", [("Question 20: Explain X", "Explain X"), ("Q3: What is Y?", "What is Y?"),
                                             ("Q3. What is Y?", "What is Y?"), ("4. Q: Why?", "Why?"),
                                             ("9. What is canary?", "What is canary?"), ("Quick start", "Quick start"),
                                             ("Q&A basics", "Q&A basics"), ("Query plans", "Query plans")])
def test_strip_label(title, question):
    assert strip_label(title) == question


def test_a_subsection_with_its_own_q_and_a_is_not_absorbed_into_the_question_above():
    text = ("### 1. What is X?\nX is a thing.\n\n#### Related questions\n\n**Q:** What is Y?\n**Answer:** Y is other.\n")
    qs = {u.question: u.answer for u in parse_units("n.md", text) if u.question}
    assert qs == {"What is X?": "X is a thing.", "What is Y?": "Y is other."}


def test_numbered_inline_questions_are_questions_not_their_file_heading():
    text = "# Notes\n\n**Q1:** What is X?\n**A:** X is a thing.\n\n**Question 3:** How?\n**Answer:** Like so.\n"
    qs = [(u.headings, u.question, u.answer) for u in parse_units("n.md", text) if u.kind == "qa"]
    assert qs == [(("Notes", "What is X?"), "What is X?", "X is a thing."), (("Notes", "How?"), "How?", "Like so.")]
