"""`coach bench --scale` and `--load` end to end on a tiny corpus with fake embeddings and a canned
chat model: the figures' structure, the isolation check, the option errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import FAKE_SCALE, CannedChat, FakeEmbeddings, make_corpus
from core.errors import CoachError
from core.settings import Settings
from rag.services import build_services
from ui.bench_load import LoadQuestion, assign, bench_endpoint_direct, bench_load, check_answer
from ui.bench_scale import bench_scale, golden_questions, parse_sizes, summary_lines
from ui.bench_speech import grade_lines
from ui.cli import app


def _factory():
    embeddings = FakeEmbeddings(dim=384)
    return lambda s: build_services(s, embeddings=embeddings, chat_model=CannedChat())


def test_scale_bench_indexes_each_size_and_reports_its_figures(tmp_path, small_corpus):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE)
    logs: list[str] = []
    figures = bench_scale(settings, _factory(), sizes=(3, 1), questions=golden_questions()[:6], log=logs.append)
    one, three = figures["scale"]
    assert figures["scale_sizes"] == [1, 3] and one["times"] == 1 and three["times"] == 3
    assert three["chunks"] == 3 * one["chunks"] == three["embedded"] and three["files"] == 3 * one["files"]
    for size in (one, three):
        assert size["retrieval_queries"] == 6 and size["retrieval_p50_ms"] <= size["retrieval_p95_ms"]
        assert size["ingest_peak_mb"] > 0 and size["rss_after_retrieval_mb"] > 0 and size["index_disk_mb"] > 0
        assert {"embed_query_ms", "vector_matmul_ms", "bm25_scores_ms", "search_total_ms"} <= set(size["profile"])
        assert size["profile"]["sections"] > 0
    assert any("embedded" in line for line in logs)  # progress while ingesting
    assert not (tmp_path / "data").exists()  # everything in a temporary folder
    assert len(summary_lines(figures)) == 4  # a line and a profile line per size


@pytest.mark.parametrize("text", ["0", "ten", "", "10,-1"])
def test_scale_sizes_must_be_whole_positive_numbers(text):
    with pytest.raises(CoachError, match="--scale-sizes"):
        parse_sizes(text)
    assert parse_sizes("10, 100") == (10, 100)


def test_cli_scale_json_and_its_option_error(tmp_path, small_corpus, monkeypatch):
    monkeypatch.setenv("COACH_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    for name, value in FAKE_SCALE.items():
        monkeypatch.setenv(f"COACH_{name.upper()}", str(value))
    runner = CliRunner()
    r = runner.invoke(app, ["bench", "--scale", "--scale-sizes", "1,2", "--json"], obj=_factory())
    assert r.exit_code == 0, r.output
    figures = json.loads(r.stdout)
    assert [s["times"] for s in figures["scale"]] == [1, 2] and figures["scale"][1]["retrieval_queries"] == len(golden_questions())
    bad = runner.invoke(app, ["bench", "--scale", "--scale-sizes", "0"], obj=_factory())
    assert bad.exit_code == 1 and "error:" in bad.stderr and "--scale-sizes" in bad.stderr


def test_load_bench_gives_every_user_its_own_answers(tmp_path):
    settings = Settings(corpus_dir=make_corpus(tmp_path / "corpus"), data_dir=tmp_path / "data", **FAKE_SCALE)
    figures = bench_load(settings, _factory(), users=3, per_user=2, log=lambda m: None, timeout=60)
    assert figures["load_answers"] == 6 and figures["load_errors"] == 0 and figures["load_not_own"] == 0
    assert figures["load_queue_wait_p50_s"] <= figures["load_queue_wait_p95_s"] <= figures["load_total_p95_s"]
    assert figures["load_first_word_p50_s"] <= figures["load_total_p95_s"]
    assert figures["load_sources_matched"] >= 1
    assert len(figures["load_conclusion"]) == 1 and "3 users" in figures["load_conclusion"][0]
    assert not (tmp_path / "data").exists()  # a temporary data folder, not the user's


def test_endpoint_direct_runs_every_user_on_its_own_chain(ui_services):
    plan = assign([LoadQuestion(q.question, (q.question,)) for q in ui_services.question_bank() if q.answer.strip()], 2, 2)
    figures = bench_endpoint_direct(ui_services, plan, "d_")
    assert figures["d_answers"] == 4 and figures["d_errors"] == 0 and figures["d_total_p50_s"] >= 0


def test_answers_with_another_users_turns_are_not_their_own():
    q = LoadQuestion("What is canary deployment?", ("9. What is canary deployment and how does it work?",))
    panel = ('<div class="sources"><div class="sources-q">For: <b>What is canary deployment?</b></div>'
             '<span class="src-title">9. What is canary deployment and how does it work?</span></div>')
    chat = [{"role": "user", "content": [{"text": "What is canary deployment?", "type": "text"}]},
            {"role": "assistant", "content": [{"text": "It shifts traffic [1].", "type": "text"}]}]
    mine = check_answer(chat, panel, ["What is canary deployment?"], q)
    assert mine == {"own": True, "sources_matched": True, "error": False, "answer_chars": 22}
    foreign = [{"role": "user", "content": "What is drift?"}, *chat]
    assert not check_answer(foreign, panel, ["What is canary deployment?"], q)["own"]
    other_panel = panel.replace("For: <b>What is canary deployment?", "For: <b>What is drift?")
    assert not check_answer(chat, other_panel, ["What is canary deployment?"], q)["own"]
    failed = [chat[0], {"role": "assistant", "content": "\u26a0\ufe0f The model failed."}]
    assert check_answer(failed, panel, ["What is canary deployment?"], q)["error"]


def test_more_users_than_distinct_questions_is_an_error():
    qs = [LoadQuestion(f"q{i}", ()) for i in range(5)]
    plan = assign(qs, 2, 2)
    assert [[q.text for q in u] for u in plan] == [["q0", "q2"], ["q1", "q3"]]
    with pytest.raises(CoachError, match="distinct questions"):
        assign(qs, 3, 2)


def test_users_at_a_wait_follow_the_md1_queue():
    from ui.bench_load import users_at_wait

    # 20 s per answer, 10 s mean wait: load 0.5 (wait = 0.5 * 20 / (2 * 0.5) = 10 s); one question
    # per user every 120 s at that load is 0.5 * 120 / 20 = 3 users
    assert users_at_wait(20.0, target_s=10.0, every_s=120.0) == pytest.approx(3.0)
    assert users_at_wait(10.0) > users_at_wait(20.0)  # faster answers, more users


def test_speech_grade_lines_state_the_strong_answer_target_per_voice():
    def style(n, max_diff):
        return {"n": n, "mean_abs_diff": 3.0, "max_abs_diff": max_diff, "mean_diff": -2.0, "within_margin": 0.9,
                "worst": [{"id": "p1-006", "text_score": 92, "spoken_score": 92 - max_diff}]} if n else {"n": 0}

    grades = {"piper-joe": {"strong": style(10, 10), "partial": style(10, 30)},
              "espeak-ng-en-us": {"strong": style(10, 11), "partial": style(0, 0)}}
    lines = grade_lines(grades)
    assert len(lines) == 4  # piper strong and partial, espeak strong, the target
    assert "piper-joe partial grades" in lines[1] and "max 30" in lines[1] and "p1-006 92 -> 62" in lines[1]
    assert lines[-1].startswith("strong answers: spoken within 10 points of typed") and lines[-1].endswith(
        "missed (piper-joe met, espeak-ng-en-us missed)")
    grades["espeak-ng-en-us"]["strong"] = style(10, 4)
    assert grade_lines(grades)[-1].endswith(": met (piper-joe met, espeak-ng-en-us met)")
    assert grade_lines({"piper-joe": {"strong": style(0, 0), "partial": style(3, 5)}})[-1].endswith("not measured (no strong answer)")
