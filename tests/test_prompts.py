"""Unit tests for prompt templates and the chat messages built from them."""

from __future__ import annotations

import datetime as dt

import jinja2
import pytest

from summarizer.extraction.extract import build_messages
from summarizer.extraction.prompts import Prompt, load_prompt
from summarizer.models import Article
from summarizer.text.sentences import split_sentences

# Text that a template engine would act on if it were parsed instead of inserted.
HOSTILE = "Set {{ title }} and {% if x %}hidden{% endif %} at ${HOME} and {# note #} here."


# --- load_prompt / Prompt.render ------------------------------------------------------------


@pytest.mark.parametrize("name", ["extract_system", "extract_user"])
def test_shipped_prompts_load(name: str) -> None:
    prompt = load_prompt(name)
    assert prompt.name == name
    assert prompt.source.strip()


def test_unknown_prompt_name_fails() -> None:
    with pytest.raises(FileNotFoundError):
        load_prompt("no_such_prompt")


def test_system_prompt_renders_without_variables() -> None:
    prompt = load_prompt("extract_system")
    assert prompt.render().strip() == prompt.source.strip()


def test_user_prompt_renders_its_variables() -> None:
    rendered = load_prompt("extract_user").render(
        published="2024-10-18 (Friday)", article_text="[s1] The pier reopened."
    )
    assert "2024-10-18 (Friday)" in rendered
    assert "[s1] The pier reopened." in rendered
    assert "{{" not in rendered


@pytest.mark.parametrize("missing", ["published", "article_text"])
def test_missing_variable_raises(missing: str) -> None:
    variables = {"published": "unknown", "article_text": "[s1] Some text here."}
    del variables[missing]
    with pytest.raises(jinja2.UndefinedError, match=missing):
        load_prompt("extract_user").render(**variables)


def test_article_text_is_inserted_verbatim_and_not_interpreted() -> None:
    rendered = load_prompt("extract_user").render(published="unknown", article_text=HOSTILE)
    assert HOSTILE in rendered


def test_rendering_does_not_escape_html() -> None:
    text = 'A <b>bold</b> "quoted" & sharp claim.'
    rendered = Prompt(name="t", source="{{ body }}").render(body=text)
    assert rendered == text


def test_content_hash_follows_the_source() -> None:
    first = Prompt(name="t", source="Hello {{ name }}")
    assert first.content_hash == Prompt(name="other", source="Hello {{ name }}").content_hash
    assert first.content_hash != Prompt(name="t", source="Hello {{ name }}!").content_hash
    assert len(first.content_hash) == 64


# --- build_messages -------------------------------------------------------------------------


def _article(text: str, published: dt.date | None = None) -> Article:
    return Article(id="a1", title="Pier", outlet="Harbor News", text=text, published=published)


def test_messages_are_the_system_prompt_then_the_numbered_sentences() -> None:
    text = "The pier reopened on Friday. Boats returned at dawn.\nThe harbor master was pleased."
    sentences = split_sentences(text)
    system, user = build_messages(_article(text), sentences)
    assert system == {"role": "system", "content": load_prompt("extract_system").render()}
    assert user["role"] == "user"
    assert (
        "[s1] The pier reopened on Friday.\n"
        "[s2] Boats returned at dawn.\n"
        "[s3] The harbor master was pleased."
    ) in user["content"]


def test_user_message_states_the_publication_date_with_its_weekday() -> None:
    text = "The pier reopened on Friday after repairs."
    _, user = build_messages(_article(text, dt.date(2024, 10, 18)), split_sentences(text))
    assert "2024-10-18 (Friday)" in user["content"]


def test_user_message_says_unknown_without_a_publication_date() -> None:
    text = "The pier reopened on Friday after repairs."
    _, user = build_messages(_article(text), split_sentences(text))
    assert "published unknown" in user["content"]


def test_template_syntax_in_the_article_reaches_the_model_verbatim() -> None:
    sentences = split_sentences(HOSTILE)
    assert [s.text for s in sentences] == [HOSTILE]
    _, user = build_messages(_article(HOSTILE), sentences)
    assert f"[s1] {HOSTILE}" in user["content"]
