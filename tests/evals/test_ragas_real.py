"""ragas' faithfulness through the embedded model's own HTTP side (COACH_JUDGE_BASE_URL=local)."""

import pytest

from evals.ragas_judge import make_ragas_judge

pytestmark = pytest.mark.slow


def test_ragas_runs_offline_against_the_embedded_model(real_services):
    settings = real_services.settings.replace(**{"judge_base_url": "local"})
    answer = real_services.chain.ask("explain canary vs blue-green")
    judge, note = make_ragas_judge(settings.judge, settings.chat, real_services.chat_model)
    assert judge is not None and note.startswith("local at http://127.0.0.1:"), note
    with judge:
        score = judge.score("explain canary vs blue-green", answer.answer, answer.context)
    # The wiring is what is checked: ragas' two JSON steps came back parsed.  (The 1.5B model is a
    # weak ragas judge: it often gives faithful statements a 0, see README, Evals.)
    assert judge.errors == [] and score is not None and 0.0 <= score <= 1.0
