"""Eval reports: JSON, Markdown and PNG charts in evals/reports/<timestamp>/, and a comparison."""

from __future__ import annotations

import json
import time
from pathlib import Path

REPORTS = Path(__file__).resolve().parent / "reports"


def _flat(summary: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for key, val in summary.items():
        name = f"{prefix}{key}"
        if isinstance(val, dict):
            out.update(_flat(val, name + "."))
        elif isinstance(val, (int, float)) and not isinstance(val, bool):
            out[name] = val
    return out


def markdown(report: dict) -> str:
    s = report["summary"]
    lines = [f"# Eval report {report['created']}", "",
             f"{report['items']} items ({report['kinds']}), generation: {report['generate']}, {report['seconds']} s.",
             f"Settings: `{json.dumps(report['settings'])}`", "", "## Retrieval", "",
             "| kind | n | " + " | ".join(k for k in next(iter(s["retrieval"].values()), {}) if k != "n") + " |"]
    keys = [k for k in next(iter(s["retrieval"].values()), {}) if k != "n"]
    lines.append("|" + "---|" * (len(keys) + 2))
    for kind, vals in s["retrieval"].items():
        lines.append(f"| {kind} | {vals['n']} | " + " | ".join(f"{vals[k]}" for k in keys) + " |")
    lines += ["", f"Retrieval latency p50 {s['retrieval_ms_p50']} ms, p95 {s['retrieval_ms_p95']} ms.", "",
              "## Refusals", "",
              f"- out-of-scope refused: {s['refusal_rate_out_of_scope']}",
              f"- in-scope falsely refused: {s['false_refusal_rate']}"]
    if "retried_rate" in s:
        lines.append(f"- in-scope answers that opened with a refusal and were asked again: {s['retried_rate']}")
    if report["generate"] and s.get("generation"):
        g = s["generation"]
        lines += ["", "## Generation", "", "| kind | n | " + " | ".join(k for k in g["all"] if k != "n") + " |",
                  "|" + "---|" * (len(g["all"]) + 1)]
        for kind, vals in g.items():
            lines.append(f"| {kind} | {vals['n']} | " + " | ".join(f"{vals[k]}" for k in vals if k != "n") + " |")
        lines += ["", f"Claims judged: {s['claims']}; faithfulness (claim level) embedding judge "
                  f"{s['faithfulness_embedding_claims']}, LLM judge {s.get('faithfulness_llm_claims')}, "
                  f"agreement {s.get('judge_agreement_claims')}.",
                  f"Faithfulness per answer, side by side: LLM judge {g['all'].get('faithfulness_llm')}, model-free "
                  f"judge {g['all'].get('faithfulness_embedding')}, ragas {g['all'].get('faithfulness_ragas', 'not run')}.",
                  f"ragas: {s.get('ragas')}"]
    return "\n".join(lines) + "\n"


def charts(report: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    retr = report["summary"]["retrieval"]
    if retr:
        kinds = [k for k in retr if k != "all"]
        keys = ["hit@1", "hit@5", "mrr", "context_precision"]
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(keys)
        for i, key in enumerate(keys):
            ax.bar([x + i * width for x in range(len(kinds))], [retr[k][key] or 0 for k in kinds], width, label=key)
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
        ax.set_ylim(0, 1.05)
        ax.set_title("Retrieval by question kind")
        ax.legend(loc="lower right")
        fig.tight_layout()
        paths.append(folder / "retrieval.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    gen = report["summary"].get("generation", {}).get("all")
    if gen:
        keys = [k for k in ("faithfulness_embedding", "faithfulness_llm", "citation_precision", "key_point_recall",
                            "answer_relevance") if gen.get(k) is not None]
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(keys, [gen[k] for k in keys], color="#4a7bd0")
        ax.set_ylim(0, 1.05)
        ax.set_title("Answer quality (in-scope, answered items)")
        plt.setp(ax.get_xticklabels(), rotation=15)
        fig.tight_layout()
        paths.append(folder / "generation.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def write_report(report: dict, root: Path = REPORTS) -> Path:
    folder = root / time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while folder.exists():
        folder = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{n}"
        n += 1
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "report.md").write_text(markdown(report), encoding="utf-8")
    charts(report, folder)
    return folder


def load_report(path: Path) -> dict:
    path = path / "report.json" if path.is_dir() else path
    return json.loads(path.read_text(encoding="utf-8"))


_NEUTRAL = {"claims", "retried_rate"}  # counts and how often a mechanism ran: no direction
_LOWER_IS_BETTER = ("false_refusal", "_ms")


def better(metric: str, delta: float | None) -> bool | None:
    """Is a change of ``delta`` in ``metric`` an improvement?  None: no change, or no direction."""
    if not delta or metric in _NEUTRAL or metric.endswith(".n"):
        return None
    return (delta < 0) if any(m in metric for m in _LOWER_IS_BETTER) else (delta > 0)


def compare(a: dict, b: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, A, B, B - A) for every numeric summary metric of either report."""
    fa, fb = _flat(a["summary"]), _flat(b["summary"])
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key), fb.get(key)
        rows.append((key, va, vb, round(vb - va, 4) if va is not None and vb is not None else None))
    return rows
