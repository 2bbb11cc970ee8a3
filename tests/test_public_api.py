from __future__ import annotations

import summarizer


def test_all_is_sorted() -> None:
    assert summarizer.__all__ == sorted(summarizer.__all__)


def test_all_names_exist_and_every_public_name_is_listed() -> None:
    for name in summarizer.__all__:
        assert hasattr(summarizer, name), name
    exported = {
        name
        for name, value in vars(summarizer).items()
        if not name.startswith("_") and not isinstance(value, type(summarizer))
    }
    assert exported == set(summarizer.__all__)
