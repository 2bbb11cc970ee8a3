"""Lifecycle tests for EmbeddedServer, using a stand-in HTTP server instead of llama.cpp."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from summarizer.errors import ConfigError, EmbeddedModelError
from summarizer.runtime import embedded_server
from summarizer.runtime.embedded_server import (
    EMBEDDED_MODEL_ALIAS,
    LLAMA_CPP_PYTHON_VERSION,
    EmbeddedServer,
    LaunchSpec,
    llama_cpp_server_command,
)

# The stand-in server listens on loopback; nothing else may be reached.
pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])

FAKE_SERVER = textwrap.dedent(
    """
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    port, mode, pid_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(pid_file + ".env.json", "w") as handle:
        json.dump(sorted(os.environ), handle)
    if mode == "exit":
        print("loading model...")
        print("fake failure: cannot load model", flush=True)
        sys.exit(3)
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if mode == "slow":
        time.sleep(0.6)
    if mode == "silent":
        with open(pid_file, "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(600)
    if mode == "with-child":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(pid_file, "w") as handle:
            handle.write(str(child.pid))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/v1/models":
                body = json.dumps({"object": "list", "data": [{"id": "fake"}]}).encode()
                self.send_response(200)
            else:
                body = b"{}"
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A failed start keeps its log directory for the user; keep it out of the real /tmp.
    logs = tmp_path / "server-logs"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF fake")
    return path


@pytest.fixture
def fake_command(tmp_path: Path) -> Callable[[str], embedded_server.CommandFactory]:
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER, encoding="utf-8")

    def factory_for(mode: str) -> embedded_server.CommandFactory:
        def command(spec: LaunchSpec) -> list[str]:
            return [sys.executable, str(script), str(spec.port), mode, str(tmp_path / "child.pid")]

        return command

    return factory_for


def assert_reaped(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def wait_until_gone(pid: int, timeout: float = 10.0) -> bool:
    """True once `pid` no longer runs (gone, or a zombie awaiting its new parent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            state = ""
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_starts_healthy_and_stops_on_exit(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    with EmbeddedServer(model_file, command_factory=fake_command("ok")) as server:
        pid = server.pid
        assert pid is not None
        log_path = server.log_path
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.model_name == EMBEDDED_MODEL_ALIAS
        assert server.is_running()
        with httpx2.Client(trust_env=False) as client:
            assert client.get(f"{server.base_url}/models").status_code == 200

    assert_reaped(pid)
    assert not server.is_running()
    assert server.pid is None
    assert log_path is not None
    assert not log_path.parent.exists()


def test_waits_for_a_slow_server(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    with EmbeddedServer(model_file, command_factory=fake_command("slow")) as server:
        pid = server.pid
        assert pid is not None
        with httpx2.Client(trust_env=False) as client:
            assert client.get(f"{server.base_url}/models").status_code == 200

    assert_reaped(pid)


def test_stops_when_the_body_is_interrupted(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    pids: list[int] = []

    with (
        pytest.raises(KeyboardInterrupt),
        EmbeddedServer(model_file, command_factory=fake_command("ok")) as server,
    ):
        assert server.pid is not None
        pids.append(server.pid)
        raise KeyboardInterrupt

    assert_reaped(pids[0])


def test_stops_when_the_body_raises(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    pids: list[int] = []

    with (
        pytest.raises(ValueError, match="boom"),
        EmbeddedServer(model_file, command_factory=fake_command("ok")) as server,
    ):
        assert server.pid is not None
        pids.append(server.pid)
        raise ValueError("boom")

    assert_reaped(pids[0])


def test_a_server_that_exits_at_once_reports_its_log(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    server = EmbeddedServer(model_file, command_factory=fake_command("exit"))

    with pytest.raises(EmbeddedModelError) as caught:
        server.start()

    message = caught.value.message
    assert "exited with code 3" in message
    assert "fake failure: cannot load model" in message
    log_path = re.search(r"log (\S+server\.log)", message)
    assert log_path is not None
    assert "fake failure" in Path(log_path.group(1)).read_text(encoding="utf-8")
    assert "\n" not in message
    assert not server.is_running()


def test_a_server_that_never_answers_times_out_and_is_stopped(
    tmp_path: Path,
    model_file: Path,
    fake_command: Callable[[str], embedded_server.CommandFactory],
) -> None:
    server = EmbeddedServer(model_file, command_factory=fake_command("silent"), startup_timeout=1)

    with pytest.raises(EmbeddedModelError, match=r"did not answer within 1 s") as caught:
        server.start()

    assert caught.value.retryable
    assert wait_until_gone(int((tmp_path / "child.pid").read_text()))


def test_a_server_ignoring_sigterm_is_killed(
    model_file: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    server = EmbeddedServer(
        model_file, command_factory=fake_command("ignore-term"), stop_timeout=0.3
    )
    with server:
        pid = server.pid
        assert pid is not None
        started = time.monotonic()

    assert time.monotonic() - started < 5
    assert_reaped(pid)


def test_the_whole_process_group_is_stopped(
    tmp_path: Path,
    model_file: Path,
    fake_command: Callable[[str], embedded_server.CommandFactory],
) -> None:
    with EmbeddedServer(model_file, command_factory=fake_command("with-child")):
        child_pid = int((tmp_path / "child.pid").read_text())
        os.kill(child_pid, 0)

    assert wait_until_gone(child_pid)


def test_close_is_idempotent_and_unregisters_atexit(
    model_file: Path,
    fake_command: Callable[[str], embedded_server.CommandFactory],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered: list[Callable[[], None]] = []
    fake_atexit = types.SimpleNamespace(register=registered.append, unregister=registered.remove)
    monkeypatch.setattr(embedded_server, "atexit", fake_atexit)
    server = EmbeddedServer(model_file, command_factory=fake_command("ok"))

    server.start()
    assert registered == [server.close]
    server.close()
    assert registered == []
    server.close()

    with pytest.raises(EmbeddedModelError, match="not running"):
        _ = server.base_url


def test_missing_model_file_raises_config_error(
    tmp_path: Path, fake_command: Callable[[str], embedded_server.CommandFactory]
) -> None:
    with (
        pytest.raises(ConfigError, match="does not exist"),
        EmbeddedServer(tmp_path / "absent.gguf", command_factory=fake_command("ok")),
    ):
        pass


def pretend_installed(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        monkeypatch.setitem(sys.modules, name, module)


def pretend_llama_cpp_python(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """Make `importlib.metadata` answer `version` for llama-cpp-python."""
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: version if name == "llama-cpp-python" else real(name),
    )


RUNTIME_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings")


def test_missing_runtime_raises_config_error(
    model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pretend_installed(monkeypatch, *RUNTIME_MODULES)
    # A None entry in sys.modules makes find_spec report the module as absent.
    monkeypatch.setitem(sys.modules, "llama_cpp", None)

    with pytest.raises(ConfigError, match="missing: llama_cpp") as caught:
        EmbeddedServer(model_file).start()

    assert caught.value.hint == "pip install 'cited-briefing[embedded]'"


def test_llama_cpp_command_line(model_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_installed(monkeypatch, *RUNTIME_MODULES)
    pretend_llama_cpp_python(monkeypatch, LLAMA_CPP_PYTHON_VERSION)
    spec = LaunchSpec(
        model_path=model_file,
        host="127.0.0.1",
        port=5123,
        n_ctx=8192,
        n_threads=None,
        model_alias=EMBEDDED_MODEL_ALIAS,
    )

    command = llama_cpp_server_command(spec)

    assert command[:3] == [sys.executable, "-m", "summarizer.runtime.llama_server"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options == {
        "--model": str(model_file),
        "--model_alias": EMBEDDED_MODEL_ALIAS,
        "--host": "127.0.0.1",
        "--port": "5123",
        "--n_ctx": "8192",
        "--interrupt_requests": "false",
        "--logits_all": "false",
    }
    threaded = llama_cpp_server_command(
        LaunchSpec(model_file, "127.0.0.1", 5123, 8192, 2, EMBEDDED_MODEL_ALIAS)
    )
    assert threaded[-2:] == ["--n_threads", "2"]


def test_server_environment_drops_llama_cpp_settings(
    tmp_path: Path,
    model_file: Path,
    fake_command: Callable[[str], embedded_server.CommandFactory],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # llama_cpp.server would bind HOST/PORT from the environment over its command line.
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("Api_Key", "secret")
    monkeypatch.setenv("SUMMARIZER_KEEP_ME", "1")

    with EmbeddedServer(model_file, command_factory=fake_command("ok")):
        names = json.loads((tmp_path / "child.pid.env.json").read_text(encoding="utf-8"))

    assert "SUMMARIZER_KEEP_ME" in names
    assert "PATH" in names
    assert not {"HOST", "PORT", "Api_Key"} & set(names)


def test_environment_filter_covers_every_llama_cpp_setting() -> None:
    settings = pytest.importorskip("llama_cpp.server.settings")

    setting_names = set(settings.Settings.model_fields) | {"config_file"}

    assert setting_names <= embedded_server._LLAMA_SERVER_SETTING_NAMES


PARENT_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from summarizer.runtime.embedded_server import EmbeddedServer

    script, model, pid_file = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    command = lambda spec: [sys.executable, script, str(spec.port), "ok", pid_file]
    with EmbeddedServer(model, command_factory=command) as server:
        print(server.pid, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_a_sigkilled_parent_leaves_no_server_behind(tmp_path: Path, model_file: Path) -> None:
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER, encoding="utf-8")
    parent_script = tmp_path / "parent.py"
    parent_script.write_text(PARENT_SCRIPT, encoding="utf-8")
    package_root = Path(embedded_server.__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(package_root), "TMPDIR": str(tmp_path)}

    with subprocess.Popen(
        [sys.executable, str(parent_script), str(script), str(model_file), str(tmp_path / "pid")],
        stdout=subprocess.PIPE,
        env=environment,
        text=True,
    ) as parent:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        try:
            server_pid = int(line)
            os.kill(server_pid, 0)
        finally:
            parent.send_signal(signal.SIGKILL)
            parent.wait()

    assert wait_until_gone(server_pid)


def test_the_server_environment_sets_jump_forward_when_asked() -> None:
    environment = {"SUMMARIZER_JUMP_FORWARD": "off", "PATH": "/bin"}

    assert embedded_server._server_environment(environment) == environment
    assert embedded_server._server_environment(environment, jump_forward=True) == {
        "SUMMARIZER_JUMP_FORWARD": "on",
        "PATH": "/bin",
    }
    assert embedded_server._server_environment({}, jump_forward=False) == {
        "SUMMARIZER_JUMP_FORWARD": "off"
    }
