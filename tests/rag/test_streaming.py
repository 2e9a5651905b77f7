from langchain_core.messages import AIMessageChunk

from rag.streaming import text_deltas


def test_text_deltas_skip_empty_and_non_text_chunks_and_add_up_usage():
    chunks = [AIMessageChunk(content="Canary "), AIMessageChunk(content=""),
              AIMessageChunk(content=[{"type": "image_url", "image_url": "x"}]),
              AIMessageChunk(content="rolls out.", usage_metadata={"input_tokens": 40, "output_tokens": 3, "total_tokens": 43})]
    usage = {"input_tokens": 10}
    assert list(text_deltas(chunks, usage)) == ["Canary ", "rolls out."]
    assert usage == {"input_tokens": 50, "output_tokens": 3}
