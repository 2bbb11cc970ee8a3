"""`summarizer doctor`: what a run would use, checked without running one.

The endpoint is the local OpenAI stub (a real server on loopback), a closed loopback port,
or a fake transport for answers the stub does not give (a refused key, no model list).
The caches and the store are the test's own folders (conftest sets their variables).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from summarizer import ConfigError, Settings, SetupCheck, check_setup
from summarizer.cli import app
from summarizer.runtime import doctor as doctor_module
from summarizer.testing.stub import STUB_MODEL, StubServer

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

NAMES = [
    "endpoint",
    "model",
    "embedded runtime",
    "embedding model",
    "response cache",
    "vector cache",
    "article store",
]
# Port 9 (discard) on loopback refuses connections: a real, local failure.
CLOSED = "http://127.0.0.1:9/v1"


def _settings(base_url: str | None, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "base_url": base_url,
        "api_key": "sk-test",
        "model": STUB_MODEL,
        "mode": "json_schema",
        "cache_dir": tmp_path / "cache",
        "data_dir": tmp_path / "data",
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def _by_name(checks: list[SetupCheck]) -> dict[str, SetupCheck]:
    assert [check.name for check in checks] == NAMES
    return {check.name: check for check in checks}


def _fake(handler: Callable[[httpx2.Request], httpx2.Response]) -> httpx2.Client:
    return httpx2.Client(transport=httpx2.MockTransport(handler))


def test_a_reachable_endpoint_that_lists_the_model_is_ok(tmp_path: Path) -> None:
    with StubServer(latency=0) as stub:
        base_url = stub.base_url
        checks = _by_name(check_setup(_settings(base_url, tmp_path)))
        served = stub.stats()

    assert checks["endpoint"].status == "ok"
    assert checks["endpoint"].detail.startswith(f"{base_url} answers (1 model(s) listed")
    assert (checks["model"].status, checks["model"].detail) == (
        "ok",
        f"{STUB_MODEL} is listed by the endpoint",
    )
    assert checks["embedded runtime"].status == "off"
    assert served["requests"] == 0  # a listing, no chat request


def test_a_model_the_endpoint_does_not_list_is_a_problem_naming_what_it_lists(
    tmp_path: Path,
) -> None:
    with StubServer(latency=0) as stub:
        checks = _by_name(check_setup(_settings(stub.base_url, tmp_path, model="gpt-9")))

    model = checks["model"]
    assert model.status == "problem"
    assert model.detail == f"gpt-9 is not among the models the endpoint lists ({STUB_MODEL})"
    assert model.hint is not None and "--model" in model.hint


def test_an_unreachable_endpoint_is_a_problem_and_the_model_is_unchecked(tmp_path: Path) -> None:
    checks = _by_name(check_setup(_settings(CLOSED, tmp_path)))

    assert checks["endpoint"].status == "problem"
    assert checks["endpoint"].detail.startswith(f"cannot use {CLOSED}: ")
    assert checks["model"].status == "unchecked"


def test_the_key_is_sent_and_a_refused_key_is_a_problem_with_a_hint(tmp_path: Path) -> None:
    seen: list[httpx2.Request] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(401, json={"error": {"message": "bad key"}})

    checks = _by_name(
        check_setup(_settings("http://fake.test/v1", tmp_path), http_client=_fake(refuse))
    )

    assert [str(request.url) for request in seen] == ["http://fake.test/v1/models"]
    assert seen[0].headers["authorization"] == "Bearer sk-test"
    assert checks["endpoint"].status == "problem"
    assert "refused the key (HTTP 401)" in checks["endpoint"].detail
    assert checks["endpoint"].hint is not None and "--api-key" in checks["endpoint"].hint


def test_an_endpoint_without_a_model_list_is_a_warning_and_the_model_unchecked(
    tmp_path: Path,
) -> None:
    def no_list(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(404, json={"error": {"message": "no route"}})

    checks = _by_name(
        check_setup(_settings("http://fake.test/v1", tmp_path), http_client=_fake(no_list))
    )

    assert checks["endpoint"].status == "warning"
    assert checks["model"].status == "unchecked"
    assert checks["model"].detail == f"{STUB_MODEL}: the endpoint lists no models"


def test_an_endpoint_that_does_not_answer_in_time_is_a_problem(tmp_path: Path) -> None:
    def hang(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    checks = _by_name(
        check_setup(
            _settings("http://fake.test/v1", tmp_path), http_client=_fake(hang), timeout=0.5
        )
    )

    assert checks["endpoint"].status == "problem"
    assert checks["endpoint"].detail.endswith("no answer in 0.5 s")


def test_a_remote_embedding_model_must_be_listed_too(tmp_path: Path) -> None:
    with StubServer(latency=0) as stub:
        settings = _settings(stub.base_url, tmp_path, embedding_model="text-embedding-3-small")
        checks = _by_name(check_setup(settings))

    assert checks["embedding model"].status == "problem"
    assert checks["embedding model"].hint == "pass --embedding-model with a name it lists"


def test_absent_caches_and_store_are_ok_and_not_created(tmp_path: Path) -> None:
    checks = _by_name(check_setup(_settings(CLOSED, tmp_path)))

    for name in ("response cache", "vector cache", "article store"):
        assert checks[name].status == "ok", checks[name]
        assert checks[name].detail.endswith("(not created yet; can be)")
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "data").exists()


def test_existing_caches_and_store_open_and_take_a_write_that_is_not_kept(
    tmp_path: Path,
) -> None:
    with StubServer(latency=0) as stub:
        settings = _settings(stub.base_url, tmp_path)
        result = CliRunner().invoke(
            app,
            ["brief", "The harbour board asked the council for help.", "-q", "--format", "json"],
            env={
                "SUMMARIZER_BASE_URL": stub.base_url,
                "SUMMARIZER_MODEL": STUB_MODEL,
                "SUMMARIZER_MODE": "json_schema",
                "SUMMARIZER_CACHE_DIR": str(settings.cache_dir),
                "SUMMARIZER_DATA_DIR": str(settings.data_dir),
            },
        )
        assert result.exit_code == 0, result.output
        checks = _by_name(check_setup(settings))

    for name in ("response cache", "vector cache", "article store"):
        assert checks[name].status == "ok", checks[name]
        assert checks[name].detail.endswith("(opens, writable)")
    with sqlite3.connect(tmp_path / "data" / "articles.sqlite") as store:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = {row[0] for row in store.execute(query)}
    store.close()
    assert tables == {"articles"}


def test_files_a_run_could_not_use_are_warnings_saying_so(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "responses.sqlite").write_bytes(b"not a database, " * 100)
    (tmp_path / "cache" / "vectors.sqlite").mkdir()
    # A file where the store's folder should be: nothing can be created under it.
    (tmp_path / "data").write_text("a file", encoding="utf-8")

    checks = _by_name(check_setup(_settings(CLOSED, tmp_path)))

    for name in ("response cache", "vector cache", "article store"):
        assert checks[name].status == "warning", checks[name]
        assert checks[name].detail.endswith("running without it")
    assert "not a writable folder" in checks["article store"].detail


def test_a_store_from_a_newer_summarizer_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with sqlite3.connect(tmp_path / "data" / "articles.sqlite") as store:
        store.execute("PRAGMA user_version = 99")
    store.close()

    checks = _by_name(check_setup(_settings(CLOSED, tmp_path)))

    assert checks["article store"].status == "warning"
    assert "written by a newer summarizer" in checks["article store"].detail


def test_switched_off_caches_and_embeddings_are_off(tmp_path: Path) -> None:
    settings = _settings(CLOSED, tmp_path, cache_dir=None, data_dir=None, embeddings=False)

    checks = _by_name(check_setup(settings))

    for name in ("embedding model", "response cache", "vector cache", "article store"):
        assert checks[name].status == "off", checks[name]


def test_an_embedding_model_not_fetched_is_a_warning_naming_the_fetch_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARIZER_MODELS_DIR", str(tmp_path / "models"))

    checks = _by_name(check_setup(_settings(CLOSED, tmp_path)))

    embedding = checks["embedding model"]
    assert embedding.status == "warning"
    assert str(tmp_path / "models" / "all-MiniLM-L6-v2") in embedding.detail
    assert embedding.hint is not None and "summarizer models fetch" in embedding.hint
    assert not (tmp_path / "models").exists()


def test_a_missing_gguf_is_a_problem_and_a_present_one_is_ok(tmp_path: Path) -> None:
    missing = _by_name(check_setup(_settings(None, tmp_path, gguf=tmp_path / "none.gguf")))
    (tmp_path / "mine.gguf").write_bytes(b"GGUF" + bytes(100))
    present = _by_name(check_setup(_settings(None, tmp_path, gguf=tmp_path / "mine.gguf")))

    assert missing["model"].status == "problem"
    assert missing["model"].detail == f"--gguf {tmp_path / 'none.gguf'}: no such file"
    assert present["model"].status == "ok"
    assert present["endpoint"].status == "ok"
    assert present["endpoint"].detail.startswith("embedded llama.cpp")


def test_the_default_weights_not_yet_assembled_are_a_warning_if_the_parts_are_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor_module, "verified_embedded_weights", lambda: None)
    monkeypatch.setattr(doctor_module, "installed_weight_parts", lambda: [Path("p")] * 22)
    assembled_later = _by_name(check_setup(_settings(None, tmp_path)))

    def not_installed() -> list[Path]:
        raise ConfigError("the embedded model is not installed: missing x", hint="pip install")

    monkeypatch.setattr(doctor_module, "installed_weight_parts", not_installed)
    not_there = _by_name(check_setup(_settings(None, tmp_path)))

    assert assembled_later["model"].status == "warning"
    assert "from the 22 installed part files" in assembled_later["model"].detail
    assert not_there["model"].status == "problem"
    assert not_there["model"].detail == "the embedded model is not installed: missing x"


def test_a_missing_or_broken_runtime_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor_module, "missing_runtime_modules", lambda: ["llama_cpp"])
    missing = _by_name(check_setup(_settings(None, tmp_path)))["embedded runtime"]
    monkeypatch.setattr(doctor_module, "missing_runtime_modules", list)
    monkeypatch.setattr("summarizer.runtime.doctor.metadata.version", lambda _name: "0.3.36")
    monkeypatch.setattr(
        doctor_module, "_import_problem", lambda _module: "OSError: libllama.so: bad ELF"
    )
    broken = _by_name(check_setup(_settings(None, tmp_path)))["embedded runtime"]

    assert (missing.status, missing.detail) == (
        "problem",
        "not installed (missing: llama_cpp)",
    )
    assert missing.hint == "pip install 'cited-briefing[embedded]'"
    assert broken.status == "problem"
    assert broken.detail.endswith("does not import: OSError: libllama.so: bad ELF")


def test_the_cli_prints_one_line_per_check_and_exits_0_when_nothing_is_broken(
    tmp_path: Path,
) -> None:
    with StubServer(latency=0) as stub:
        result = CliRunner().invoke(
            app, ["doctor", "--base-url", stub.base_url, "--model", STUB_MODEL]
        )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line[:16].strip() for line in lines] == NAMES
    assert lines[0].split()[1] == "ok"


def test_the_cli_exits_1_when_a_run_would_fail(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["doctor", "--base-url", CLOSED, "--model", "m"])

    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split()[:2] == ["endpoint", "problem"]


def test_the_cli_reads_settings_as_brief_does(tmp_path: Path) -> None:
    with StubServer(latency=0) as stub:
        base_url = stub.base_url
        result = CliRunner().invoke(
            app,
            ["doctor"],
            env={"SUMMARIZER_BASE_URL": base_url, "SUMMARIZER_MODEL": "not-served"},
        )

    assert result.exit_code == 1
    assert f"{base_url} answers" in result.stdout
    assert "not-served is not among the models the endpoint lists" in result.stdout
