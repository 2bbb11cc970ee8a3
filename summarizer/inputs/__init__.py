"""Stage 1, sources to `Article`s: files, folders, globs, stdin, web pages and feeds, read,
cleaned, normalized and deduplicated (`gather`).

May import: the core, `summarizer.text`, `summarizer.storage`, `summarizer.runtime`.
"""
