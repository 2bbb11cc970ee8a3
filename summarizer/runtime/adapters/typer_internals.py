"""typer's vendored click: the usage errors the CLI turns into one line.

Since 0.29 typer carries its own copy of click (`typer._click`), and the errors it raises
for a bad or missing option or an unknown command are that copy's `UsageError`, which
typer does not export. The CLI runs the app outside click's standalone mode (which would
print them as a box) and so must catch them itself. Written for typer 0.29.x, checked
when this module is imported; tests/test_cli.py runs the errors themselves.
"""

from __future__ import annotations

from summarizer.runtime.adapters.versions import TYPER

try:
    from typer._click.exceptions import UsageError
except ImportError:
    # Moved in another release: say which release we need, not which name is missing.
    TYPER.require()
    raise
TYPER.require()

__all__ = ["UsageError", "usage_exit_code", "usage_message"]


def usage_message(error: UsageError) -> str:
    """The usage error on one line, pointing to the command's `--help` when it knows it."""
    message = " ".join(error.format_message().split())
    if error.ctx is None:
        return message
    return f"{message} (see '{error.ctx.command_path} --help')"


def usage_exit_code(error: UsageError) -> int:
    """The exit code click gives a usage error (2)."""
    return error.exit_code
