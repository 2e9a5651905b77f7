import pytest
from langchain_core.messages import AIMessageChunk

from rag.streaming import cap_units, text_deltas, unit_end


def test_text_deltas_skip_empty_and_non_text_chunks_and_add_up_usage():
    chunks = [AIMessageChunk(content="Canary "), AIMessageChunk(content=""),
              AIMessageChunk(content=[{"type": "image_url", "image_url": "x"}]),
              AIMessageChunk(content="rolls out.", usage_metadata={"input_tokens": 40, "output_tokens": 3, "total_tokens": 43})]
    usage = {"input_tokens": 10}
    assert list(text_deltas(chunks, usage)) == ["Canary ", "rolls out."]
    assert usage == {"input_tokens": 50, "output_tokens": 3, "text_chunks": 2}


@pytest.mark.parametrize("n, kept", [
    (1, "Canary shifts traffic. [1]"),
    (2, "Canary shifts traffic. [1] Blue-green swaps [2]."),
    (3, "Canary shifts traffic. [1] Blue-green swaps [2].\n- watch errors"),
    (4, None),  # the fourth unit is not complete: nothing to cut yet
])
def test_unit_end_counts_sentences_and_lines_with_their_markers(n, kept):
    text = "Canary shifts traffic. [1] Blue-green swaps [2].\n- watch errors\n-\n- roll back"
    cut = unit_end(text, n)
    assert (text[:cut] if cut is not None else None) == kept


def test_cap_units_stops_a_runaway_list_and_closes_the_generation():
    pulled, closed = [], []

    def model():
        try:
            for i in range(100):  # a loop that would run to max_tokens
                pulled.append(i)
                yield f"- Loan recovery rate by loan type {i}\n"
        finally:
            closed.append(True)

    text = "".join(cap_units(model(), 8))
    assert text.splitlines() == [f"- Loan recovery rate by loan type {i}" for i in range(8)]
    assert closed and len(pulled) <= 9


def test_cap_units_passes_a_short_answer_through_unchanged():
    deltas = ["Canary shifts ", "traffic [1]. Blue-green", " swaps environments [2]."]
    assert list(cap_units(iter(deltas), 8)) == deltas


def test_unit_end_does_not_count_an_abbreviation_as_a_sentence_end():
    text = "Canary vs. blue-green differs, e.g. in cost [1]. Both need monitoring. "
    assert text[:unit_end(text, 1)] == "Canary vs. blue-green differs, e.g. in cost [1]."
