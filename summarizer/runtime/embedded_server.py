"""Run the embedded llama.cpp server (`llama_cpp.server`) on 127.0.0.1 for one session.

`EmbeddedServer` starts the server in its own process group, waits until it answers
`GET /v1/models`, and on exit stops the whole group (SIGTERM, then SIGKILL). On Linux
the server also gets a parent-death signal, so a parent killed with SIGKILL leaves no
server behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx2

from summarizer.config import INSTALL_EMBEDDED
from summarizer.errors import ConfigError, EmbeddedModelError
from summarizer.runtime.adapters.versions import LLAMA_CPP_PYTHON

__all__ = [
    "DEFAULT_N_CTX",
    "DEFAULT_STARTUP_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "EMBEDDED_MODEL_ALIAS",
    "JUMP_FORWARD_ENV",
    "LLAMA_CPP_PYTHON_VERSION",
    "EmbeddedServer",
    "LaunchSpec",
    "llama_cpp_server_command",
    "missing_runtime_modules",
]

EMBEDDED_MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_N_CTX = 8192
DEFAULT_STARTUP_TIMEOUT = 120.0
DEFAULT_STOP_TIMEOUT = 10.0

# Read by the server process (runtime/jump_forward.py, which imports llama.cpp: not here).
JUMP_FORWARD_ENV = "SUMMARIZER_JUMP_FORWARD"

# The release whose internals llama_server.py and llama_sampling.py patch (pyproject pins it).
LLAMA_CPP_PYTHON_VERSION = LLAMA_CPP_PYTHON.version

_HOST = "127.0.0.1"
_INSTALL_HINT = INSTALL_EMBEDDED
# llama_cpp itself plus the modules its `[server]` extra brings; without them the
# server dies at import with a traceback instead of a useful message.
_RUNTIME_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings")
# llama_cpp.server reads every one of its settings from an environment variable of the
# same name (any case), and HOST, PORT and CONFIG_FILE even override its command line: an
# unrelated `PORT=3000` or `HOST=0.0.0.0` in the user's shell would move or expose the
# server. These are the setting names of llama-cpp-python 0.3.36; they are removed from
# the server's environment.
_LLAMA_SERVER_SETTING_NAMES = frozenset(
    {
        "api_key",
        "cache",
        "cache_size",
        "cache_type",
        "chat_format",
        "chat_template_kwargs",
        "clip_model_path",
        "config_file",
        "disable_ping_events",
        "draft_model",
        "draft_model_num_pred_tokens",
        "embedding",
        "flash_attn",
        "hf_model_repo_id",
        "hf_pretrained_model_name_or_path",
        "hf_tokenizer_config_path",
        "host",
        "interrupt_requests",
        "kv_overrides",
        "last_n_tokens_size",
        "logits_all",
        "lora_base",
        "lora_path",
        "main_gpu",
        "model",
        "model_alias",
        "mul_mat_q",
        "n_batch",
        "n_ctx",
        "n_gpu_layers",
        "n_threads",
        "n_threads_batch",
        "n_ubatch",
        "numa",
        "offload_kqv",
        "port",
        "root_path",
        "rope_freq_base",
        "rope_freq_scale",
        "rope_scaling_type",
        "rpc_servers",
        "seed",
        "split_mode",
        "ssl_certfile",
        "ssl_keyfile",
        "tensor_split",
        "type_k",
        "type_v",
        "use_mlock",
        "use_mmap",
        "verbose",
        "vocab_only",
        "yarn_attn_factor",
        "yarn_beta_fast",
        "yarn_beta_slow",
        "yarn_ext_factor",
        "yarn_orig_ctx",
    }
)
_POLL_INTERVAL = 0.2
_HEALTH_REQUEST_TIMEOUT = 2.0
_LOG_TAIL_LINES = 5
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    """Everything a server command needs to know to listen where we will look.

    Attributes:
        model_path: The GGUF file to serve.
        host: Address to bind; always loopback.
        port: TCP port to bind.
        n_ctx: Context window in tokens.
        n_threads: Threads for generation; `None` keeps the server's default.
        model_alias: Model name clients send in requests.
    """

    model_path: Path
    host: str
    port: int
    n_ctx: int
    n_threads: int | None
    model_alias: str


CommandFactory = Callable[[LaunchSpec], Sequence[str]]


def missing_runtime_modules() -> list[str]:
    """The modules of llama-cpp-python and its `[server]` extra that cannot be found.

    Found without importing them: importing llama_cpp loads the native library.
    """
    return [name for name in _RUNTIME_MODULES if importlib.util.find_spec(name) is None]


def llama_cpp_server_command(spec: LaunchSpec) -> list[str]:
    """Build the `python -m llama_cpp.server` command line for `spec`.

    Args:
        spec: Where and how the server should listen.

    Returns:
        The argv list.

    Raises:
        ConfigError: llama-cpp-python with its `[server]` extra is not installed.
        DependencyVersionError: it is not the release our adapter for it is written for.
    """
    missing = missing_runtime_modules()
    if missing:
        raise ConfigError(
            f"the embedded model runtime is not installed (missing: {', '.join(missing)})",
            hint=_INSTALL_HINT,
        )
    # Checked here too, not only by the server process's import of the adapter: here it is
    # one line from the CLI, there a dead server and a log to read.
    LLAMA_CPP_PYTHON.require()
    command = [
        sys.executable,
        "-m",
        "summarizer.runtime.llama_server",
        "--model",
        str(spec.model_path),
        "--model_alias",
        spec.model_alias,
        "--host",
        spec.host,
        "--port",
        str(spec.port),
        "--n_ctx",
        str(spec.n_ctx),
        # By default a queued request cuts off a running stream; queue it instead.
        "--interrupt_requests",
        "false",
        # The server's default keeps every position's logits (n_ctx x 151,936 floats) for
        # logprobs we never ask for, and computes them for every prompt token.
        "--logits_all",
        "false",
    ]
    if spec.n_threads is not None:
        command += ["--n_threads", str(spec.n_threads)]
    return command


class EmbeddedServer:
    """A llama.cpp server on 127.0.0.1, alive for the duration of a `with` block.

    Example:
        >>> with EmbeddedServer(ensure_embedded_weights()) as server:  # doctest: +SKIP
        ...     client = openai.OpenAI(base_url=server.base_url, api_key="unused")
    """

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        model_alias: str = EMBEDDED_MODEL_ALIAS,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
        command_factory: CommandFactory = llama_cpp_server_command,
        jump_forward: bool | None = None,
    ) -> None:
        """Describe the server; nothing starts until `start()` or `with`.

        Args:
            model_path: The GGUF file to serve.
            n_ctx: Context window in tokens.
            n_threads: Generation threads; `None` keeps the server's default.
            model_alias: Model name clients must send in requests.
            startup_timeout: Seconds to wait for the server to answer.
            stop_timeout: Seconds to wait after SIGTERM before SIGKILL.
            command_factory: Builds the server's argv from a `LaunchSpec`; tests
                substitute a stand-in server here.
            jump_forward: Turns jump-forward decoding on or off (`jump_forward.py`);
                `None` leaves it to `SUMMARIZER_JUMP_FORWARD` (on unless set to off).
        """
        self._model_path = Path(model_path)
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._model_alias = model_alias
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._command_factory = command_factory
        self._jump_forward = jump_forward
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._log_dir: Path | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def model_name(self) -> str:
        """The model name to send in requests (the server's `--model_alias`)."""
        return self._model_alias

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, `http://127.0.0.1:PORT/v1`.

        Raises:
            EmbeddedModelError: The server is not running.
        """
        if self._port is None or self._process is None:
            raise EmbeddedModelError(
                "the embedded server is not running",
                hint="use it as a context manager: `with EmbeddedServer(path) as server:`",
            )
        return f"http://{_HOST}:{self._port}/v1"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or `None` when it is not running."""
        return self._process.pid if self._process is not None else None

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout/stderr log while it runs."""
        return self._log_dir / "server.log" if self._log_dir is not None else None

    def is_running(self) -> bool:
        """Whether the server process is still alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers `GET /v1/models`.

        Raises:
            ConfigError: The model file or the runtime is missing.
            EmbeddedModelError: The server exited or did not answer in time; the
                message includes the last lines of its log.
        """
        with self._lock:
            if self._process is not None:
                return
            if not self._model_path.is_file():
                raise ConfigError(
                    f"the embedded model file {self._model_path} does not exist",
                    hint="pass the path of a GGUF file, or let summarizer assemble its own",
                )
            spec = LaunchSpec(
                model_path=self._model_path,
                host=_HOST,
                port=_free_loopback_port(),
                n_ctx=self._n_ctx,
                n_threads=self._n_threads,
                model_alias=self._model_alias,
            )
            command = list(self._command_factory(spec))
            self._launch(command, spec.port)
        healthy = False
        try:
            self._wait_until_healthy()
            healthy = True
        finally:
            if not healthy:
                # Also reached on KeyboardInterrupt while waiting: never orphan the server.
                self._stop_process(keep_log=True)

    def close(self) -> None:
        """Stop the server and its process group; safe to call more than once."""
        self._stop_process(keep_log=False)

    def _launch(self, command: list[str], port: int) -> None:
        log_dir = Path(tempfile.mkdtemp(prefix="summarizer-llama-server-"))
        log_path = log_dir / "server.log"
        try:
            with log_path.open("wb") as log_file:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=_server_environment(os.environ, jump_forward=self._jump_forward),
                    start_new_session=True,
                    preexec_fn=_parent_death_signal_setter(),
                )
        except OSError as error:
            shutil.rmtree(log_dir, ignore_errors=True)
            raise EmbeddedModelError(
                f"could not start the embedded server ({command[0]}): {error.strerror or error}",
                hint=f"check the installation: {_INSTALL_HINT}",
            ) from error
        self._process = process
        self._port = port
        self._log_dir = log_dir
        atexit.register(self.close)

    def _wait_until_healthy(self) -> None:
        process = self._process
        assert process is not None
        url = f"http://{_HOST}:{self._port}/v1/models"
        deadline = time.monotonic() + self._startup_timeout
        # trust_env=False: a proxy from the environment must never see loopback traffic.
        with httpx2.Client(timeout=_HEALTH_REQUEST_TIMEOUT, trust_env=False) as client:
            while True:
                exit_code = process.poll()
                if exit_code is not None:
                    raise EmbeddedModelError(
                        f"the embedded server exited with code {exit_code} while starting; "
                        f"log {self.log_path}: {self._log_tail()}",
                        hint=f"read the log; if the runtime is broken: {_INSTALL_HINT}",
                    )
                try:
                    if client.get(url).status_code == httpx2.codes.OK:
                        return
                except httpx2.TransportError:
                    pass
                if time.monotonic() >= deadline:
                    raise EmbeddedModelError(
                        f"the embedded server did not answer within "
                        f"{self._startup_timeout:g} s; log {self.log_path}: {self._log_tail()}",
                        hint="a slow machine may need a longer startup timeout",
                        retryable=True,
                    )
                time.sleep(_POLL_INTERVAL)

    def _stop_process(self, *, keep_log: bool) -> None:
        with self._lock:
            process, self._process = self._process, None
            log_dir, self._log_dir = self._log_dir, None
            self._port = None
            if process is not None:
                atexit.unregister(self.close)
                _terminate_group(process, self._stop_timeout)
            if log_dir is not None and not keep_log:
                shutil.rmtree(log_dir, ignore_errors=True)

    def ensure_alive(self) -> None:
        """Raise if the server process has stopped (crashed or was killed).

        Raises:
            EmbeddedModelError: the process is gone; the message ends with its log.
        """
        if self._process is not None and self._process.poll() is not None:
            raise EmbeddedModelError(
                f"the embedded model server stopped (exit code {self._process.returncode}): "
                f"{self._log_tail()}",
                hint=f"full log: {self.log_path}",
            )

    def _log_tail(self) -> str:
        log_path = self.log_path
        if log_path is None:
            return "(no log)"
        try:
            lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(log unreadable)"
        tail = [line.strip() for line in lines if line.strip()][-_LOG_TAIL_LINES:]
        return " | ".join(tail) if tail else "(log is empty)"


def _server_environment(
    environment: Mapping[str, str], *, jump_forward: bool | None = None
) -> dict[str, str]:
    """`environment` without the variables llama_cpp.server would take as settings, and
    with jump-forward decoding set when `jump_forward` is not None."""
    server_environment = {
        name: value
        for name, value in environment.items()
        if name.lower() not in _LLAMA_SERVER_SETTING_NAMES
    }
    if jump_forward is not None:
        server_environment[JUMP_FORWARD_ENV] = "on" if jump_forward else "off"
    return server_environment


def _free_loopback_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _terminate_group(process: subprocess.Popen[bytes], stop_timeout: float) -> None:
    """SIGTERM the process group, SIGKILL it after `stop_timeout`, and reap the leader."""
    if process.poll() is None:
        _signal_group(process, force=False)
        try:
            process.wait(timeout=stop_timeout)
            return
        except subprocess.TimeoutExpired:
            _signal_group(process, force=True)
    process.wait()


def _signal_group(process: subprocess.Popen[bytes], *, force: bool) -> None:
    if sys.platform == "win32":
        process.kill()
        return
    # The server leads its own session, so its pid is its process group id.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL if force else signal.SIGTERM)


def _parent_death_signal_setter() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the kernel SIGKILL the server when we die (Linux only).

    SIGKILL, not SIGTERM: on SIGTERM uvicorn waits for the request in flight, and a
    generation can run for minutes after its client is gone. The server keeps no state.
    """
    if sys.platform != "linux":
        return None
    # PR_SET_PDEATHSIG fires when the creating *thread* exits, not the process: from a
    # short-lived worker thread it would kill a server still in use. atexit covers those.
    if threading.current_thread() is not threading.main_thread():
        return None
    # The interpreter's own symbols include libc's prctl; resolved before fork so the
    # child only makes the system call (ctypes.util.find_library would spawn ldconfig).
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent_pid = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        # The parent may have died before prctl took effect; then nobody would stop us.
        if os.getppid() != parent_pid:
            os._exit(1)

    return set_parent_death_signal
