"""Other projects' internals, each behind one adapter.

summarizer leans on a few things its dependencies do not promise to keep: instructor's
mode handlers, llama-cpp-python's grammar tables, sampler hook and C API, typer's vendored
click. Each library's are imported in one module here and reached only through the small
names it exposes, so an upgrade is checked and changed in one place:

- `instructor_internals`: instructor 1.17.0 (pinned in pyproject.toml);
- `llama_cpp_internals`: llama-cpp-python 0.3.36 (pinned in the `embedded` extra), imported
  only by the embedded runtime, never by `import summarizer`;
- `typer_internals`: typer 0.29.x.

Each adapter checks the installed version when it is imported (`versions`) and raises
`DependencyVersionError` naming the library, the version found, the version expected and
the `pip install` that fixes it, rather than failing later somewhere inside the library.

May import: the core. Nothing here imports the rest of summarizer.
"""
