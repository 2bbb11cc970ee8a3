"""The release each adapter is written for, and the check it runs when it is imported.

Kept apart from the adapters, so the embedded runtime's version can be checked (before its
server starts, and by `summarizer doctor`) without loading llama.cpp's native library.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

from summarizer.errors import DependencyVersionError

__all__ = ["INSTRUCTOR", "LLAMA_CPP_PYTHON", "TYPER", "Release"]


@dataclass(frozen=True)
class Release:
    """The version(s) of one distribution whose internals an adapter uses.

    Attributes:
        distribution: The name pip installs it by.
        version: An exact version (`1.17.0`) or a series (`0.29.*`), as pip reads `==`.
        extra: Extras to name in the fix (`[server]`).
    """

    distribution: str
    version: str
    extra: str = ""

    @property
    def requirement(self) -> str:
        """What to install: `instructor==1.17.0`."""
        return f"{self.distribution}{self.extra}=={self.version}"

    def matches(self, found: str) -> bool:
        """Whether `found` is this release, as pip's `==` matches it (a local label such as
        `+cu121`, which custom builds carry, is not part of the release)."""
        public = found.split("+", 1)[0]
        if self.version.endswith(".*"):
            series = self.version[:-2]
            return public == series or public.startswith(f"{series}.")
        return public == self.version

    def installed(self) -> str | None:
        """The installed version, or None when the distribution is not installed."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def problem(self) -> DependencyVersionError | None:
        """The error to raise when another version (or none) is installed; None when it fits."""
        found = self.installed()
        if found is not None and self.matches(found):
            return None
        what = "is not installed" if found is None else f"{found} is installed"
        return DependencyVersionError(
            f"{self.distribution} {what}, but summarizer is written for {self.version}",
            hint=f"pip install '{self.requirement}'",
            distribution=self.distribution,
            found=found,
            expected=self.version,
        )

    def require(self) -> None:
        """Raise `DependencyVersionError` unless the installed version is this release."""
        problem = self.problem()
        if problem is not None:
            raise problem


# instructor 1.17 changed retry semantics (validation-only re-asks); we rely on them.
INSTRUCTOR = Release("instructor", "1.17.0")
LLAMA_CPP_PYTHON = Release("llama-cpp-python", "0.3.36", extra="[server]")
# The series whose vendored click (`typer._click`, new in 0.29) the CLI reads.
TYPER = Release("typer", "0.29.*")
