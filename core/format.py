"""Numbers written for people (one home, used by ingest warnings and upload messages)."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.0f} KB"
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " MB"
