"""Prompt templates: the files of the top-level `prompts/`, rendered strictly.

The wheel ships them inside the package (`summarizer/prompts/`, see pyproject.toml); a
checkout reads them where they are.

A missing variable is an error. Values are inserted once and never re-parsed, so braces,
`{%` or `$` inside an article cannot break or steer the template.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2


@dataclass(frozen=True)
class Prompt:
    name: str
    source: str

    @property
    def content_hash(self) -> str:
        """Hash of the template text: part of every cache key that depends on it."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def render(self, **variables: str) -> str:
        """Render with exactly the variables the template uses.

        Raises:
            jinja2.UndefinedError: a variable the template uses was not given.
        """
        return _compiled(self.source).render(**variables)


@cache
def load_prompt(name: str) -> Prompt:
    """Load `prompts/<name>.md`."""
    source = _prompts().joinpath(f"{name}.md").read_text("utf-8")
    return Prompt(name=name, source=source)


def _prompts() -> Traversable:
    shipped = resources.files("summarizer").joinpath("prompts")
    if shipped.is_dir():  # an installed wheel
        return shipped
    return Path(__file__).resolve().parents[2] / "prompts"  # a checkout


@cache
def _compiled(source: str) -> jinja2.Template:
    return _environment().from_string(source)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
