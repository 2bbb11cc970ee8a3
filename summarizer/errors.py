"""The one exception tree of summarizer.

    SummarizerError                  base; every error carries `hint` (how to fix it)
    ├── UserError                    the caller's mistake: fix the input or settings
    │   ├── ConfigError              missing or invalid configuration
    │   │   └── DependencyVersionError   a library is not the release its adapter was written for
    │   └── InputError               an article, path or URL that can't be read
    └── RunError                     a failure while running; `retryable`: may trying again help
        ├── ProviderError            the model endpoint failed (`status_code` when it answered)
        ├── ExtractionError          the model's output could not be used for one article
        ├── BudgetExceeded           the run reached --max-tokens / --max-cost
        └── EmbeddedModelError       the embedded llama.cpp runtime failed to start or stopped

The CLI maps UserError to exit code 2 and RunError to exit code 1, printing one line.
`pydantic.ValidationError` is never shadowed: it stays pydantic's.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Base of every error summarizer raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint on one line, for the CLI."""
        text = " ".join(self.message.split())
        return f"{text} (hint: {self.hint})" if self.hint else text


class UserError(SummarizerError):
    """The caller asked for something that cannot work as given."""


class ConfigError(UserError):
    """Configuration is missing or invalid."""


class DependencyVersionError(ConfigError):
    """An installed library is not the release whose internals our adapter for it uses
    (summarizer/runtime/adapters/). Raised when the adapter is imported, where a traceback
    may be all a caller sees: its text is the one line, fix included."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        distribution: str,
        found: str | None,
        expected: str,
    ) -> None:
        super().__init__(message, hint=hint)
        self.distribution = distribution
        self.found = found
        self.expected = expected

    def __str__(self) -> str:
        return self.one_line()


class InputError(UserError):
    """An input (path, article text) cannot be read or is empty."""


class RunError(SummarizerError):
    """Something failed while running."""

    def __init__(self, message: str, *, hint: str | None = None, retryable: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable


class ProviderError(RunError):
    """The model endpoint failed or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        retryable: bool = False,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint, retryable=retryable)
        self.status_code = status_code


class ExtractionError(RunError):
    """The model's output for one article could not be turned into claims and events."""


class BudgetExceeded(RunError):
    """The run spent its token or dollar budget; no further request is sent."""


class EmbeddedModelError(RunError):
    """The embedded llama.cpp runtime could not start or failed while running."""


def first_line(error: BaseException) -> str:
    """The first line of any exception's message, at most 160 characters (its type's name
    when it has none): what a warning line shows of it."""
    text = str(error).strip()
    return text.splitlines()[0][:160] if text else type(error).__name__
