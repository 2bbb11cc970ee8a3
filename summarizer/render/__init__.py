"""Stage 5, a `Briefing` to what a reader gets: Markdown, JSON, the HTML report, the token
ledger, progress on a terminal, and the JSON Schemas of the models.

May import: the core, the shared packages and every stage before it.
"""
