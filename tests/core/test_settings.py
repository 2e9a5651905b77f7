"""The settings object: sections, flat COACH_* names, the TOML file, priorities, clear errors."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import SettingsError
from core.settings import FIELD_SECTION, SECTIONS, Settings, load_settings


def test_defaults_live_inside_the_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    root = Path(__file__).resolve().parents[2]
    assert s.paths.data_dir == root / ".coach-data" and s.paths.corpus_dir == root / "corpus"
    assert s.paths.model_cache_dir == s.paths.data_dir / "models"


def test_every_field_has_one_section_and_a_unique_flat_name():
    names = [f for model in SECTIONS.values() for f in model.model_fields]
    assert len(names) == len(set(names)) == len(FIELD_SECTION)
    assert set(SECTIONS) == {"paths", "chunking", "retrieval", "answer", "chat", "judge", "ui", "speech"}


def test_env_vars_beat_the_toml_file_which_beats_defaults(monkeypatch, tmp_path):
    cfg = tmp_path / "my.toml"
    cfg.write_text('k = 7\nfetch_k = 9\n[chat]\nllm_provider = "openai"\n[ui]\nport = 8123\n')
    monkeypatch.setenv("COACH_CONFIG", str(cfg))
    monkeypatch.setenv("COACH_K", "3")
    s = Settings()
    assert s.retrieval.k == 3  # env wins over the file
    assert s.retrieval.fetch_k == 9  # flat name in the file
    assert s.chat.llm_provider == "openai" and s.ui.port == 8123  # sections in the file
    assert s.retrieval.rrf_k == 20  # default


def test_coach_toml_in_the_working_directory_is_read(monkeypatch, tmp_path):
    monkeypatch.delenv("COACH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "coach.toml").write_text("[retrieval]\nmin_relevance = 0.5\n")
    assert Settings().retrieval.min_relevance == 0.5


def test_overrides_win_and_none_is_ignored(monkeypatch):
    monkeypatch.setenv("COACH_PORT", "9000")
    assert load_settings(port=None).ui.port == 9000
    assert load_settings(port=8001).ui.port == 8001


def test_an_empty_variable_means_unset(monkeypatch):
    monkeypatch.setenv("COACH_SEED", "")
    assert load_settings().chat.seed is None


@pytest.mark.parametrize("var, value, named", [("COACH_LLM_PROVIDER", "banana", "llm_provider"),
                                               ("COACH_K", "0", "k"), ("COACH_PORT", "http", "port")])
def test_invalid_values_raise_a_settings_error_naming_the_setting(monkeypatch, var, value, named):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=rf"invalid settings: {named}: "):
        load_settings()


def test_unknown_names_in_the_file_are_rejected(monkeypatch, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[retrieval]\nkk = 3\n")
    monkeypatch.setenv("COACH_CONFIG", str(cfg))
    with pytest.raises(SettingsError, match="kk"):
        load_settings()


def test_a_missing_or_broken_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings()
    bad = tmp_path / "bad.toml"
    bad.write_text("k = = 3")
    monkeypatch.setenv("COACH_CONFIG", str(bad))
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings()


def test_replace_changes_one_field_and_validates():
    s = Settings()
    t = s.replace(data_dir="/tmp/x", k=9)
    assert t.paths.data_dir == Path("/tmp/x") and t.retrieval.k == 9 and s.retrieval.k == 5
    assert t.paths.corpus_dir == s.paths.corpus_dir
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        s.replace(k=0)


@pytest.mark.parametrize("name", ["my notes", "ab", "-notes", "n/otes"])
def test_a_collection_name_chroma_would_refuse_is_a_settings_error(monkeypatch, name):
    monkeypatch.setenv("COACH_COLLECTION", name)
    with pytest.raises(SettingsError, match="collection"):
        load_settings()
