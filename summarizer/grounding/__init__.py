"""Stage 3, the model's proposals checked against the text: every quote located at its
offsets, claimants and names kept only when the article holds them (`ground`), and the
rule for which model-written line may be shown (`statement_check`).

May import: the core, the shared packages and the stages before it (`inputs`,
`extraction`).
"""
