"""What the tests share and no test module is: builders of typed objects (`factories`), the
loopback web server (`web_server`), how cassettes are matched, scrubbed and stored
(`cassette_format`), `summarizer brief` against the OpenAI stub (`stub_cli`), and the
scripts `gold_check`, `check_smoke` and `wheel_check`.

The OpenAI stub itself is `summarizer.testing.stub`: benchmarks and offline runs use it
too, and benchmarks never import the tests.
"""
