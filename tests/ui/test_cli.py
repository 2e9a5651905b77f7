"""The `coach` CLI: JSON shapes and one-line errors instead of tracebacks."""

import json

import pytest
from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


@pytest.fixture
def env(monkeypatch, tmp_path, small_corpus):
    monkeypatch.setenv("COACH_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _one_line_error(result):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert lines[-1].startswith("error:"), result.output
    return lines[-1]


def test_missing_corpus(env, tmp_path):
    line = _one_line_error(runner.invoke(app, ["ingest", "--corpus", str(tmp_path / "nowhere")]))
    assert "nowhere" in line


def test_empty_corpus(env, tmp_path):
    (tmp_path / "empty").mkdir()
    _one_line_error(runner.invoke(app, ["ingest", "--corpus", str(tmp_path / "empty")]))


def test_unreachable_endpoint(env, monkeypatch):
    monkeypatch.setenv("COACH_LLM_PROVIDER", "openai")
    monkeypatch.setenv("COACH_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    line = _one_line_error(runner.invoke(app, ["ask", "What is MLOps?"]))
    assert "127.0.0.1:9" in line


def test_missing_model_parts(env, monkeypatch):
    monkeypatch.setenv("COACH_LOCAL_MODEL", "qwen2.5-coder-0.5b")  # its parts are not installed
    line = _one_line_error(runner.invoke(app, ["ask", "What is MLOps?"]))
    assert "pip install" in line


def test_ingest_json_then_retrieve_builds_on_demand(env):
    # retrieve on a store that is not built yet builds it first instead of failing
    r = runner.invoke(app, ["retrieve", "What is a model registry?", "--json", "--k", "3"])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout[r.stdout.index("["):])
    assert len(hits) == 3 and {"file", "heading", "text", "score", "chunk_id"} <= set(hits[0])
    r = runner.invoke(app, ["ingest", "--json"])
    summary = json.loads(r.stdout)
    assert summary["embedded"] == 0 and summary["unchanged"] == summary["chunks"]


def test_retrieve_batch(env, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(json.dumps({"question": "What is a model registry?"}) + "\n"
                     + json.dumps({"question": "and why?", "history": ["What is MLOps?"]}) + "\n")
    runner.invoke(app, ["ingest"])
    r = runner.invoke(app, ["retrieve", "--batch", str(batch), "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert [row["question"] for row in rows] == ["What is a model registry?", "and why?"]
    assert all(row["hits"] for row in rows)


def test_bad_batch_line(env, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text("not json\n")
    runner.invoke(app, ["ingest"])
    line = _one_line_error(runner.invoke(app, ["retrieve", "--batch", str(batch)]))
    assert "bad.jsonl:1" in line


def test_eval_compare_prints_unchanged_and_changed_metrics(tmp_path):
    # an unchanged metric (delta 0) once crashed the table with a rich markup error
    for name, mrr in (("a", 0.8), ("b", 0.9)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(
            {"summary": {"retrieval": {"all": {"mrr": mrr, "hit@5": 0.97}}, "false_refusal_rate": 0.01}}))
    result = runner.invoke(app, ["eval-compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "retrieval.all.mrr" in result.output and "+0.1" in result.output and "+0.0" in result.output
