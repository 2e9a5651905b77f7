"""A spoken strong answer is graded like its text, with the real models (issue 12): the opening
sentences of two held-out strong answers of the grading set, read by piper's "joe" voice
(evals/data/spoken_strong.jsonl names each clip, its voice and its text), streamed through the default
whisper with the notes' vocabulary as prompt as the app does, then the transcript and the text graded
with the real MiniLM embeddings against the same key points.  Only the committed clips are used (no
voice is needed to run this)."""

import pytest

from evals.golden import DATA, read_jsonl
from evals.grading import GRADING, grade_bank_answer
from evals.speech import GRADE_MARGIN
from core.settings import SpeechSettings
from rag.interview.keypoints import split_key_points
from rag.speech.stt import make_transcriber
from rag.speech.types import read_wav
from ui.bench_speech import replay

pytestmark = pytest.mark.slow
CLIPS = read_jsonl(DATA / "spoken_strong.jsonl")
ANSWERS = {r["id"]: r for r in read_jsonl(GRADING)}


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory):
    return make_transcriber(SpeechSettings(speech_threads=2), tmp_path_factory.mktemp("models"))  # the default model


def test_the_clips_are_held_out_strong_answers_read_aloud():
    assert len(CLIPS) == 2
    for clip in CLIPS:
        row = ANSWERS[clip["id"]]
        assert (row["split"], row["style"], row["qid"]) == ("heldout", "strong", clip["qid"])
        assert row["answer"].startswith(clip["text"]), clip["id"]  # its opening sentences, word for word
    assert sum((DATA / c["wav"]).stat().st_size for c in CLIPS) < 1_500_000  # small enough to commit


@pytest.mark.parametrize("clip", CLIPS, ids=[c["id"] for c in CLIPS])
def test_a_spoken_strong_answer_is_graded_within_10_points_of_its_text(real_services, transcriber, clip):
    q = next(q for q in real_services.question_bank() if q.qid == clip["qid"])
    prompt = real_services.vocabulary().prompt(q, split_key_points(q.answer))
    spoken = replay(transcriber, read_wav(DATA / clip["wav"]), prompt, realtime=False).text
    typed = grade_bank_answer(clip["text"], q, real_services.embeddings)
    heard = grade_bank_answer(spoken, q, real_services.embeddings)
    assert typed.score >= 40, typed  # the text earns a grade that a poor transcript would lose (50 and 60 here)
    assert abs(heard.score - typed.score) <= GRADE_MARGIN, (typed.score, heard.score, spoken)
