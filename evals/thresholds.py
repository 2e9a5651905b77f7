"""Reads evals/thresholds.toml and lists what a summary falls short of (held-out runs only)."""

from __future__ import annotations

import tomllib
from pathlib import Path

PATH = Path(__file__).resolve().parent / "thresholds.toml"


def load_thresholds(path: Path = PATH) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _below(name: str, value, minimum: float) -> list[str]:
    return [f"{name} = {value} < {minimum}"] if value is None or value < minimum else []


def _above(name: str, value, maximum: float) -> list[str]:
    return [f"{name} = {value} > {maximum}"] if value is None or value > maximum else []


def check_thresholds(summary: dict, t: dict | None = None) -> list[str]:
    """Gate failures of an eval summary, one line each; empty when every gate passes."""
    t = t or load_thresholds()
    r, fails = t["retrieval"], []
    allr = summary.get("retrieval", {}).get("all", {})
    fails += _below("hit@5", allr.get("hit@5"), r["hit@5"])
    fails += _below("mrr", allr.get("mrr"), r["mrr"])
    if summary.get("gate_refusal_rate_out_of_scope") is not None:
        fails += _below("gate refusal (out of scope)", summary["gate_refusal_rate_out_of_scope"], r["gate_refusal_rate_out_of_scope"])
        fails += _above("gate false refusal", summary["gate_false_refusal_rate"], r["gate_false_refusal_rate_max"])
    if "generation" in summary:
        g = t["generation"]
        fails += _below("faithfulness (chat-model judge, mean per answer)",
                        summary.get("generation", {}).get("all", {}).get("faithfulness_llm"), g["faithfulness_llm"])
        fails += _below("refusal (out of scope)", summary.get("refusal_rate_out_of_scope"), g["refusal_rate_out_of_scope"])
        fails += _above("false refusal", summary.get("false_refusal_rate"), g["false_refusal_rate_max"])
    return fails


def check_calibration(result: dict, t: dict | None = None) -> list[str]:
    t = t or load_thresholds()
    section = t["calibration"] if result.get("claims_set", "planted") == "planted" else t.get("calibration_real", {})
    return [f for name in ("embedding", "llm") if name in result and f"{name}_accuracy" in section
            for f in _below(f"{name} judge accuracy ({result.get('claims_set', 'planted')} claims)",
                            result[name]["accuracy"], section[f"{name}_accuracy"])]
