"""Unit tests for settings resolution: explicit > environment > config file > default.

Every call passes `environ=` and `config_file=` so the real environment and home are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from summarizer.config import (
    DEFAULT_OPENAI_MODEL,
    EMBEDDED_MODEL_NAME,
    OPENAI_BASE_URL,
    PLACEHOLDER_API_KEY,
    STRUCTURED_MODES,
    backend_defaults,
    resolve_settings,
)
from summarizer.errors import ConfigError, UserError

LOCAL_URL = "http://localhost:8080/v1"


@pytest.fixture
def no_file(tmp_path: Path) -> Path:
    return tmp_path / "absent.toml"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(content: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(content, encoding="utf-8")
        return path

    return write


# --- defaults -------------------------------------------------------------------------------


def test_nothing_configured_means_the_embedded_model(no_file: Path) -> None:
    settings = resolve_settings(environ={}, config_file=no_file)
    assert settings.base_url is None
    assert backend_defaults(settings.base_url).kind == "embedded"
    assert settings.model == EMBEDDED_MODEL_NAME
    assert settings.mode == "json_object_schema"
    assert settings.api_key == PLACEHOLDER_API_KEY
    assert settings.gguf is None
    assert (settings.max_reasks, settings.request_timeout, settings.article_deadline) == (
        1,
        600.0,
        1800.0,
    )


def test_a_key_alone_means_the_hosted_openai_api(no_file: Path) -> None:
    settings = resolve_settings(environ={"OPENAI_API_KEY": "sk-test"}, config_file=no_file)
    assert settings.base_url == OPENAI_BASE_URL
    assert settings.model == DEFAULT_OPENAI_MODEL
    assert settings.mode == "json_schema"
    assert settings.api_key == "sk-test"
    assert backend_defaults(settings.base_url).kind == "remote"


def test_a_key_with_a_gguf_stays_local(no_file: Path, tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    settings = resolve_settings(api_key="sk-test", gguf=gguf, environ={}, config_file=no_file)
    assert settings.base_url is None
    assert settings.gguf == gguf


def test_gguf_path_expands_the_home_directory(no_file: Path) -> None:
    settings = resolve_settings(gguf="~/weights/m.gguf", environ={}, config_file=no_file)
    assert settings.gguf == Path("~/weights/m.gguf").expanduser()


def test_openai_url_with_a_trailing_slash_gets_the_default_model(no_file: Path) -> None:
    settings = resolve_settings(base_url=OPENAI_BASE_URL + "/", environ={}, config_file=no_file)
    assert settings.base_url == OPENAI_BASE_URL
    assert settings.model == DEFAULT_OPENAI_MODEL


def test_custom_base_url_without_a_model_is_a_config_error_with_a_hint(no_file: Path) -> None:
    with pytest.raises(ConfigError, match="no model name") as caught:
        resolve_settings(base_url=LOCAL_URL, environ={}, config_file=no_file)
    assert caught.value.hint is not None
    assert "--model" in caught.value.hint
    assert isinstance(caught.value, UserError)


def test_custom_base_url_with_a_model(no_file: Path) -> None:
    settings = resolve_settings(
        base_url=LOCAL_URL + "/", model="local-model", environ={}, config_file=no_file
    )
    assert settings.base_url == LOCAL_URL
    assert settings.model == "local-model"
    assert settings.mode == "json_schema"
    assert settings.api_key == PLACEHOLDER_API_KEY


# --- precedence -----------------------------------------------------------------------------


def test_explicit_wins_over_environment_and_file(write_config: Callable[[str], Path]) -> None:
    config = write_config('model = "from-file"\nmode = "tools"\nmax_reasks = 3\n')
    env = {"SUMMARIZER_MODEL": "from-env", "SUMMARIZER_MODE": "json", "SUMMARIZER_MAX_REASKS": "2"}
    settings = resolve_settings(
        base_url=LOCAL_URL,
        model="explicit",
        mode="md_json",
        max_reasks=0,
        environ=env,
        config_file=config,
    )
    assert (settings.model, settings.mode, settings.max_reasks) == ("explicit", "md_json", 0)


def test_environment_wins_over_file(write_config: Callable[[str], Path]) -> None:
    config = write_config(
        'base_url = "http://file.example/v1"\nmodel = "from-file"\nrequest_timeout = 5\n'
    )
    env = {
        "SUMMARIZER_BASE_URL": "http://env.example/v1",
        "SUMMARIZER_MODEL": "from-env",
        "SUMMARIZER_REQUEST_TIMEOUT": "7.5",
    }
    settings = resolve_settings(environ=env, config_file=config)
    assert settings.base_url == "http://env.example/v1"
    assert settings.model == "from-env"
    assert settings.request_timeout == 7.5


def test_file_wins_over_defaults(write_config: Callable[[str], Path]) -> None:
    config = write_config(
        'base_url = "http://file.example/v1"\n'
        'api_key = "file-key"\n'
        'model = "from-file"\n'
        'mode = "tools"\n'
        "max_reasks = 4\n"
        "request_timeout = 30\n"
        "article_deadline = 90.5\n"
    )
    settings = resolve_settings(environ={}, config_file=config)
    assert settings.base_url == "http://file.example/v1"
    assert settings.api_key == "file-key"
    assert settings.model == "from-file"
    assert settings.mode == "tools"
    assert settings.max_reasks == 4
    assert settings.request_timeout == 30.0
    assert settings.article_deadline == 90.5


def test_summarizer_variables_win_over_openai_variables(no_file: Path) -> None:
    env = {
        "SUMMARIZER_BASE_URL": "http://mine.example/v1",
        "OPENAI_BASE_URL": "http://openai-compatible.example/v1",
        "SUMMARIZER_API_KEY": "mine",
        "OPENAI_API_KEY": "theirs",
        "SUMMARIZER_MODEL": "m",
    }
    settings = resolve_settings(environ=env, config_file=no_file)
    assert settings.base_url == "http://mine.example/v1"
    assert settings.api_key == "mine"


def test_openai_base_url_variable_is_used(no_file: Path) -> None:
    env = {"OPENAI_BASE_URL": "http://compatible.example/v1", "SUMMARIZER_MODEL": "m"}
    settings = resolve_settings(environ=env, config_file=no_file)
    assert settings.base_url == "http://compatible.example/v1"


def test_empty_environment_variables_are_ignored(write_config: Callable[[str], Path]) -> None:
    config = write_config('model = "from-file"\n')
    env = {"SUMMARIZER_MODEL": "", "OPENAI_API_KEY": ""}
    settings = resolve_settings(environ=env, config_file=config)
    assert settings.model == "from-file"
    assert settings.base_url is None


def test_config_file_named_by_the_environment_is_read(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('mode = "tools"\n', encoding="utf-8")
    settings = resolve_settings(environ={"SUMMARIZER_CONFIG": str(config)})
    assert settings.mode == "tools"


# --- invalid values -------------------------------------------------------------------------


def test_unknown_mode_is_a_config_error_listing_the_modes(no_file: Path) -> None:
    with pytest.raises(ConfigError, match="'xml'") as caught:
        resolve_settings(mode="xml", environ={}, config_file=no_file)
    assert caught.value.hint is not None
    assert all(mode in caught.value.hint for mode in STRUCTURED_MODES)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SUMMARIZER_MAX_REASKS", "two", "max_reasks must be a whole number"),
        ("SUMMARIZER_MAX_REASKS", "1.5", "max_reasks must be a whole number"),
        ("SUMMARIZER_MAX_REASKS", "-1", "max_reasks must be at least 0"),
        ("SUMMARIZER_REQUEST_TIMEOUT", "soon", "request_timeout must be a number"),
        ("SUMMARIZER_REQUEST_TIMEOUT", "0", "request_timeout must be positive"),
        ("SUMMARIZER_ARTICLE_DEADLINE", "-5", "article_deadline must be positive"),
    ],
)
def test_bad_numbers_are_config_errors(
    no_file: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_settings(environ={variable: value}, config_file=no_file)


def test_bad_number_in_the_config_file_is_a_config_error(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config('request_timeout = "a while"\n')
    with pytest.raises(ConfigError, match="request_timeout"):
        resolve_settings(environ={}, config_file=config)


def test_unknown_key_in_the_config_file_is_a_config_error(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config('model = "m"\ntemprature = 0.5\n')
    with pytest.raises(ConfigError, match="temprature") as caught:
        resolve_settings(environ={}, config_file=config)
    assert caught.value.hint is not None
    assert "model" in caught.value.hint


def test_unparseable_toml_is_a_config_error(write_config: Callable[[str], Path]) -> None:
    config = write_config("model = \n[[[")
    with pytest.raises(ConfigError, match="cannot read config file") as caught:
        resolve_settings(environ={}, config_file=config)
    assert caught.value.hint == "fix or remove the file"


def test_non_utf8_config_file_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes('model = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="cannot read config file"):
        resolve_settings(environ={}, config_file=config)


def test_a_folder_in_place_of_the_config_file_is_ignored(tmp_path: Path) -> None:
    settings = resolve_settings(environ={}, config_file=tmp_path)
    assert backend_defaults(settings.base_url).kind == "embedded"


# --- speed and cost settings -------------------------------------------------------------


def test_concurrency_defaults_to_one_on_the_embedded_model_and_four_elsewhere(
    no_file: Path,
) -> None:
    assert resolve_settings(environ={}, config_file=no_file).concurrency == 1
    remote = resolve_settings(base_url=LOCAL_URL, model="m", environ={}, config_file=no_file)
    assert remote.concurrency == 4


def test_cache_lives_in_the_cache_dir_unless_switched_off(no_file: Path, tmp_path: Path) -> None:
    env = {"SUMMARIZER_CACHE_DIR": str(tmp_path / "c")}
    assert resolve_settings(environ=env, config_file=no_file).cache_dir == tmp_path / "c"
    assert resolve_settings(cache=False, environ=env, config_file=no_file).cache_dir is None


def test_budgets_and_concurrency_from_the_environment(no_file: Path) -> None:
    env = {
        "SUMMARIZER_MAX_TOKENS": "5000",
        "SUMMARIZER_MAX_COST": "0.25",
        "SUMMARIZER_CONCURRENCY": "8",
    }
    settings = resolve_settings(environ=env, config_file=no_file)
    assert (settings.max_tokens, settings.max_cost, settings.concurrency) == (5000, 0.25, 8)


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_tokens", 0), ("max_cost", -1.0), ("concurrency", 0), ("max_tokens", 2.5)],
)
def test_bad_budget_or_concurrency_is_a_config_error(
    no_file: Path, name: str, value: float
) -> None:
    with pytest.raises(ConfigError, match=name):
        options: dict[str, Any] = {name: value}
        resolve_settings(**options, environ={}, config_file=no_file)


def test_prices_from_the_config_file_override_the_table(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config('[prices]\n"my-model" = [0.5, 1.5]\n"gpt-4o-mini" = [1, 2]\n')
    settings = resolve_settings(prices={"other": (3.0, 4.0)}, environ={}, config_file=config)
    assert settings.prices == {
        "my-model": (0.5, 1.5),
        "gpt-4o-mini": (1.0, 2.0),
        "other": (3.0, 4.0),
    }


def test_a_malformed_price_is_a_config_error_naming_the_model(
    write_config: Callable[[str], Path],
) -> None:
    config = write_config('[prices]\n"my-model" = [0.5]\n')
    with pytest.raises(ConfigError, match="my-model"):
        resolve_settings(environ={}, config_file=config)
