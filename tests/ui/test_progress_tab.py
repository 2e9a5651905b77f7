"""The Progress tab's chart: topics from the notes are drawn as typed."""

from __future__ import annotations

import pandas as pd

from ui.progress_tab import mastery_figure


def test_a_topic_with_dollar_signs_is_drawn_as_text():
    topics = ["Costs $\\frac{ and $x", "<img src=x> $5 vs $6", "Plain"]
    df = pd.DataFrame([{"Topic": t, "Score": 40 + i, "Answered": 1, "Due now": 0} for i, t in enumerate(topics)])
    fig = mastery_figure(df)
    fig.canvas.draw()  # mathtext would fail on the first topic
    shown = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert shown == {t.replace("$", "\\$") for t in topics}
    assert mastery_figure(df.iloc[0:0]) is None
