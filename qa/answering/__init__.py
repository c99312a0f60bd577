"""From a question to a cited `Answer`: question analysis, retrieval, the answerers, the checks.

`qa.answering.asking.ask` is the entry point (exported as `qa.ask`).
"""
