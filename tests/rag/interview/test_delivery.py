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


def test_delivery_lines_say_pace_fillers_pauses_and_terms_as_a_coach_would():
    from rag.interview.delivery import delivery_lines

    words = timed("um so basically we track runs in MLflow like, you know, every run", gaps={5: 3.0})
    lines = delivery_lines(delivery(words, ["MLflow", "DVC"]))
    assert lines[0].startswith("Spoke for ") and "words a minute" in lines[0]
    assert lines[1] == "Filler words: 4 (\u201cum\u201d \u00d71, \u201cbasically\u201d \u00d71, \u201clike\u201d \u00d71, \u201cyou know\u201d \u00d71)."
    assert lines[2].startswith("Long pauses: 1 (the longest 3.1 s, after \u201ctrack\u201d)")
    assert lines[3:] == ["Terms from your notes you used: MLflow.", "Terms you could have used: DVC."]
    fast = [Word(f"w{i}", i * 0.2, i * 0.2 + 0.15) for i in range(60)]  # 300 words a minute
    assert "(fast: slow down)" in delivery_lines(delivery(fast))[0]
    assert delivery_lines(delivery([])) == ["Nothing was heard in the recording."]
    assert "No filler words." in delivery_lines(delivery(timed("we version data with DVC")))


def test_terms_are_counted_in_the_answer_as_sent_when_given():
    words = timed("we version data with D V C")  # misheard, fixed in the box before sending
    assert delivery(words, ["DVC"]).terms_missed == ("DVC",)
    assert delivery(words, ["DVC"], answer="we version data with DVC").terms_used == ("DVC",)
