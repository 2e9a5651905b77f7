"""Tab "Progress": mastery per topic (table and chart), cards due now and later, session history.

Refreshed whenever the tab is selected; read-only, so it never waits behind a generation.
"""

from __future__ import annotations

from datetime import datetime, timezone

import gradio as gr
import pandas as pd

from ui import render
from rag.interview.bands import WEAK_BELOW, band
from rag.interview.report import list_reports
from ui.common import FREE, guarded, username



MAX_REPORTS = 10  # the newest session reports offered for download


def mastery_frame(store) -> pd.DataFrame:
    rows = [{"Topic": m.topic, "Score": round(m.mean_score), "Answered": m.answered, "Due now": m.due}
            for m in store.topic_mastery()]
    return pd.DataFrame(rows, columns=["Topic", "Score", "Answered", "Due now"])


def mastery_figure(df: pd.DataFrame):
    """Horizontal bars, weakest at the top, coloured by score; None when nothing was answered."""
    if df.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = df.sort_values("Score", ascending=False).tail(14)  # the 14 weakest, weakest on top
    colors = [band(s).color for s in d["Score"]]
    fig, ax = plt.subplots(figsize=(6.4, 0.36 * max(len(d), 2) + 0.9), dpi=110)
    labels = [render.clip(t, 34).replace("$", r"\$") for t in d["Topic"]]  # a "$" in a topic is no mathtext
    ax.barh(labels, d["Score"], color=colors, height=0.62)
    for y, s in enumerate(d["Score"]):
        ax.text(min(s + 1.5, 93), y, f"{s}", va="center", fontsize=8.5, color="#334155")
    ax.axvline(WEAK_BELOW, color="#94a3b8", linestyle="--", linewidth=0.9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("mastery (mean latest score)", fontsize=8.5, color="#475569")
    ax.tick_params(labelsize=8.5, colors="#334155")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#cbd5e1")
    fig.tight_layout()
    plt.close(fig)
    return fig


def due_html(store, bank_index: dict, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    cards = sorted(store.cards().values(), key=lambda c: c.due)
    due = [c for c in cards if c.due <= now]
    later = [c for c in cards if c.due > now]

    def item(c, when: str) -> str:
        q = bank_index.get(c.qid)
        text = q.question if q else c.qid
        return (f'<li><span class="due-when">{render.esc(when)}</span>'
                f'<span class="due-q">{render.esc(render.clip(text, 80))}</span>'
                f'<span class="due-topic">{render.esc(c.topic)}</span></li>')

    if not cards:
        return ('<div class="panel-empty"><div class="panel-empty-title">Review cards</div>'
                "Questions you answer in a mock interview are scheduled for review here.</div>")
    due_items = "".join(item(c, "due") for c in due[:8]) or '<li class="none">Nothing due right now.</li>'
    more = f'<div class="due-more">and {len(due) - 8} more due</div>' if len(due) > 8 else ""
    later_items = "".join(item(c, render.when_text(c.due.isoformat(), now)) for c in later[:6])
    return (f'<div class="due-panel"><div class="due-head">Due now <span class="badge">{len(due)}</span></div>'
            f"<ul>{due_items}</ul>{more}"
            + (f'<div class="due-head">Coming up <span class="badge muted">{len(later)}</span></div><ul>{later_items}</ul>'
               if later else "")
            + "</div>")


def sessions_frame(store) -> pd.DataFrame:
    """Sessions with at least one answer, newest first, with the topics actually asked."""
    answers: dict[str, list[dict]] = {}
    for a in store.history():
        answers.setdefault(a.get("session_id") or "", []).append(a)
    rows = []
    for s in store.sessions():
        done = answers.get(s["session_id"], [])
        if not done:
            continue
        scores = [int(a["score"]) for a in done]
        topics = list(dict.fromkeys(a["topic"] for a in reversed(done)))
        rows.append({"Started (UTC)": (s.get("started_at") or "")[:16].replace("T", " "), "Answers": len(scores),
                     "Mean": round(sum(scores) / len(scores)), "Topics": render.clip(", ".join(topics), 60)})
        if len(rows) >= 50:
            break
    return pd.DataFrame(rows, columns=["Started (UTC)", "Answers", "Mean", "Topics"])


def overview_html(store, mastery: pd.DataFrame) -> str:
    answers = store.history()
    if not answers:
        return ('<div class="overview empty">No answers yet. Start a <b>Mock interview</b>: '
                "your mastery per topic, review schedule and history appear here.</div>")
    scores = [int(a["score"]) for a in answers]
    due = int(mastery["Due now"].sum()) if not mastery.empty else 0
    weak = [t for t, s in zip(mastery["Topic"], mastery["Score"]) if s < WEAK_BELOW][:3]
    chips = [render.plural(len(answers), "answer"), f"mean {sum(scores) / len(scores):.0f}/100",
             render.plural(len(mastery), "topic"), f"{due} due now"]
    html = "".join(f'<span class="chip">{render.esc(c)}</span>' for c in chips)
    if weak:
        html += f'<span class="weak">Weakest: {render.esc(", ".join(weak))}</span>'
    return f'<div class="overview">{html}</div>'


def build_progress_tab(services):
    """Build the tab; returns (refresh function, its outputs) for the tab's select event."""
    with gr.Row(elem_classes="progress-top"):
        overview = gr.HTML(elem_id="progress-overview", padding=False)
        refresh_btn = gr.Button("\u21bb Refresh", size="sm", variant="secondary", elem_id="progress-refresh", scale=0)
    with gr.Row(equal_height=False, elem_classes="tab-row"):
        with gr.Column(scale=3, min_width=420):
            plot = gr.Plot(show_label=False, elem_id="mastery-plot", visible=False)
            table = gr.Dataframe(label="Mastery per topic", interactive=False, elem_id="mastery-table",
                                 max_height=260, wrap=True, column_widths=["52%", "16%", "16%", "16%"])
        with gr.Column(scale=2, min_width=300):
            due = gr.HTML(elem_id="due-panel", padding=False)
            sessions = gr.Dataframe(label="Sessions", interactive=False, elem_id="sessions-table",
                                    max_height=240, wrap=True, column_widths=["27%", "19%", "14%", "40%"])
            reports = gr.File(label="Session reports (newest first)", file_count="multiple", interactive=False,
                              elem_id="session-reports", height=160)

    @guarded
    def refresh(request: gr.Request = None):
        """The logged-in user's own progress (the single-user progress when the app asks for no login)."""
        user = username(request)
        store = services.progress_for(user)
        mastery = mastery_frame(store)
        fig = mastery_figure(mastery)
        bank = {q.qid: q for q in services.question_bank()}
        saved = [str(p) for p in list_reports(services.reports_dir_for(user))[:MAX_REPORTS]]
        return (overview_html(store, mastery), gr.update(value=fig, visible=fig is not None), mastery,
                due_html(store, bank), sessions_frame(store), saved or None)

    outputs = [overview, plot, table, due, sessions, reports]
    refresh_btn.click(refresh, None, outputs, api_name="progress", **FREE)
    return refresh, outputs
