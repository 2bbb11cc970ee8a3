"""What a run keeps on disk: the response cache, the vector cache and the article store,
all SQLite files shared safely between processes.

May import: the core (`models`, `errors`, `config`) and `summarizer.text`.
"""
