"""Stand-ins for the model, for tests, benchmarks and offline runs; no briefing uses them.

- `stub`: a local OpenAI-compatible server (chat completions and embeddings) that answers
  with schema instances or replays a recorded cassette:
  `python -m summarizer.testing.stub --replay cassettes/test_end_to_end/examples_briefing.yaml`
  then `summarizer brief examples/articles --base-url URL ...` runs without a model.
  Replaying needs PyYAML: `pip install 'cited-briefing[testing]'`.
- `faults`: what the stub can do wrong on request (429s, 5xx, resets, hangs, spoiled
  answers, refusals), scripted per article by a marker word or at random.
- `cassettes`: the recorded chat exchanges of a cassette, as the stub replays them.
- `schema_instance`: a small valid instance of a JSON Schema, as the stub answers.
- `synthetic_claims`: seeded piles of extractions for scaling the merge.
- `merge_baseline`: the all-pairs merge before blocking, the reference the blocked merge
  must equal.

May import: everything but the entry points (`summarizer`, `cli`, `pipeline`); nothing
else in the package imports it.
"""
