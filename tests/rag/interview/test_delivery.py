"""Delivery feedback from a timed transcript: pace, fillers, long pauses, the notes' terms used and missed."""

import pytest

from rag.interview.delivery import LONG_PAUSE, count_fillers, delivery
from rag.speech.types import Word


def timed(text: str, start: float = 0.0, word_s: float = 0.3, gaps: dict[int, float] | None = None) -> list[Word]:
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(Word(w, t, t + word_s))
        t += word_s + 0.1
    return out


def test_pace_speaking_time_and_long_pauses():
    words = timed("So I would track every run in MLflow and version data with DVC.", start=1.0, gaps={6: 3.0})
    d = delivery(words)
    assert d.words == 13
    assert d.speaking_seconds == pytest.approx(13 * 0.4 - 0.1 + 3.0)
    assert d.words_per_minute == pytest.approx(13 / d.speaking_seconds * 60, abs=0.1)
    assert [(p.after, p.seconds) for p in d.long_pauses] == [("run", pytest.approx(3.1))]
    assert delivery(timed("one two", gaps={1: LONG_PAUSE - 0.2})).long_pauses == ()


def test_fillers_count_hesitations_but_not_like_as_a_preposition_or_kind_of_as_a_kind():
    said = ("Um, so basically I use tools like MLflow and, like, DVC. Uh it looks like drift, you know. "
            "What kind of model? It is kind of slow, sort of. Like, we retrain. Do you know Feast?").split()
    assert count_fillers(said) == {"um": 1, "basically": 1, "like": 2, "uh": 1, "you know": 1, "kind of": 1, "sort of": 1}
    assert count_fillers("I would like a registry like Feast".split()) == {}


def test_terms_used_and_missed_match_word_forms_and_multiword_terms():
    words = timed("we version the data with dvc and check psi on a kolmogorov-smirnov test")
    d = delivery(words, terms=["DVC", "PSI", "MLflow", "Kolmogorov-Smirnov", "data versioning", "Evidently"])
    assert d.terms_used == ("DVC", "PSI", "Kolmogorov-Smirnov", "data versioning")
    assert d.terms_missed == ("MLflow", "Evidently")


def test_no_speech_gives_no_pace_and_every_term_missed():
    d = delivery([Word("...", 0.0, 0.5)], terms=["DVC"])
    assert (d.words, d.words_per_minute, d.terms_missed) == (0, None, ("DVC",))
    assert d.to_dict()["filler_count"] == 0
