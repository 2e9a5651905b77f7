from pathlib import Path

import pytest

from rag.settings import Settings, load_settings


def test_defaults_live_inside_the_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.data_dir.name == ".coach-data" and s.corpus_dir.name == "corpus"
    assert s.chroma_dir == s.data_dir / "chroma"


def test_env_vars_and_toml_file(monkeypatch, tmp_path):
    cfg = tmp_path / "my.toml"
    cfg.write_text('k = 7\nllm_provider = "openai"\n')
    monkeypatch.setenv("COACH_CONFIG", str(cfg))
    monkeypatch.setenv("COACH_K", "3")
    s = Settings()
    assert s.k == 3  # env wins over the file
    assert s.llm_provider == "openai"  # from the file


def test_overrides_win_and_none_is_ignored(monkeypatch):
    monkeypatch.setenv("COACH_PORT", "9000")
    assert load_settings(port=None).port == 9000
    assert load_settings(port=8001).port == 8001


def test_invalid_values_are_rejected(monkeypatch):
    monkeypatch.setenv("COACH_LLM_PROVIDER", "banana")
    with pytest.raises(Exception):
        Settings()
