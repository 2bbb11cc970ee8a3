"""What runs the model and counts its cost: the endpoint or embedded llama.cpp backend
(which one a run has is decided once, in `backends`), the structured LLM client, token
usage and prices, the sentence-embedding models, concurrency helpers, progress events and
the setup check (`doctor`); and in `adapters/`, the one place each other project's
internals are used (instructor, llama-cpp-python, typer).

May import: the core, `summarizer.text` and `summarizer.storage`.
"""
