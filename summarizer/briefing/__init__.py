"""Stage 4, grounded extractions to a briefing's parts: stories, claims and events merged
by wording and meaning, the disagreement ledger, key points, novelty against a previous
briefing (`assemble`, `merging_stage`).

May import: the core, the shared packages and the stages before it.
"""
