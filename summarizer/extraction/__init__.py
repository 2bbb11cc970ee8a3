"""Stage 2, an `Article` to an `ArticleExtraction`: chunks, the per-sentence schema, the
prompts and the model's answers turned into claims and events (`extract`).

May import: the core, the shared packages (`text`, `storage`, `runtime`) and `inputs`.
"""
