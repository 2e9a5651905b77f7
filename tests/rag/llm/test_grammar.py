"""Output formats are forced with llama.cpp grammars on the local model only."""

from conftest import fake_chat
from rag.interview.feedback import FEEDBACK_GRAMMAR
from rag.llm import with_grammar
from rag.llm.xllama import XLlamaChatModel


def test_grammar_is_bound_to_the_local_model_only():
    local = XLlamaChatModel(model_path="/nonexistent.gguf")  # not loaded: building it reads nothing
    bound = with_grammar(local, FEEDBACK_GRAMMAR)
    assert bound.kwargs == {"grammar": FEEDBACK_GRAMMAR}
    assert local.build_request([{"role": "user", "content": "hi"}], **bound.kwargs)["grammar"] == FEEDBACK_GRAMMAR
    other = fake_chat("x")
    assert with_grammar(other, FEEDBACK_GRAMMAR) is other  # an endpoint would reject the field


def test_feedback_grammar_has_the_two_labels():
    assert FEEDBACK_GRAMMAR.count('"Feedback: "') == 1 and '"\\nFollow-up: "' in FEEDBACK_GRAMMAR
