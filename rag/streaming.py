"""Text out of a chat model's stream, written once for the answer chain and the interviewer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def text_deltas(chunks: Iterable, usage: dict | None = None) -> Iterator[str]:
    """The non-empty text of streamed message chunks (non-text content is skipped); token counts
    reported on any chunk are added to ``usage["input_tokens"]`` / ``usage["output_tokens"]``."""
    for chunk in chunks:
        meta = getattr(chunk, "usage_metadata", None)
        if meta and usage is not None:
            for key in ("input_tokens", "output_tokens"):
                usage[key] = usage.get(key, 0) + meta.get(key, 0)
        if isinstance(chunk.content, str) and chunk.content:
            yield chunk.content
