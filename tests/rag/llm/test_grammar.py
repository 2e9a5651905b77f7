"""Output formats are forced with llama.cpp grammars on the local model only."""

from conftest import fake_chat
from rag.interview.feedback import feedback_grammar
from rag.llm import with_grammar
from rag.llm.xllama import XLlamaChatModel


FEEDBACK_GRAMMAR = feedback_grammar()


def test_grammar_is_bound_to_the_local_model_only():
    local = XLlamaChatModel(model_path="/nonexistent.gguf")  # not loaded: building it reads nothing
    bound = with_grammar(local, FEEDBACK_GRAMMAR)
    assert bound.kwargs == {"grammar": FEEDBACK_GRAMMAR}
    assert local.build_request([{"role": "user", "content": "hi"}], **bound.kwargs)["grammar"] == FEEDBACK_GRAMMAR
    other = fake_chat("x")
    assert with_grammar(other, FEEDBACK_GRAMMAR) is other  # an endpoint would reject the field


def test_feedback_grammar_has_the_two_labels():
    assert FEEDBACK_GRAMMAR.count('"Feedback: "') == 1 and '"\\nFollow-up: "' in FEEDBACK_GRAMMAR


def test_low_or_contradicting_grades_get_an_opening_that_is_not_praise(fake_embeddings):
    from rag.interview.feedback import feedback_grammar, feedback_opening
    from rag.interview.grading import grade_answer

    points = ["Concept Drift: the relationship between inputs and the label changes",
              "Data Drift: the distribution of the input features changes"]
    swapped = grade_answer("Concept drift is when the distribution of the input features changes.",
                           "What is drift?", points, fake_embeddings)
    weak = grade_answer("It is when things change in some way.", "What is drift?", points, fake_embeddings)
    right = grade_answer(". ".join(points), "What is drift?", points, fake_embeddings)
    assert feedback_opening(swapped) == "That is not what your notes say:"
    assert feedback_opening(weak) == "You missed" and weak.score < 40
    assert feedback_opening(right) == ""
    assert 'first ::= "You missed " ' in feedback_grammar("You missed")
    assert 'first ::= ("You " | "Your ")' in feedback_grammar("")
