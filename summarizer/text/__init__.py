"""Text helpers every stage shares: sentences, dates, numbers and figures, hedges, quote
location, word keys, near-duplicate grouping and one union-find.

May import: `summarizer.models`, `summarizer.errors`, `summarizer.config` only.
"""
