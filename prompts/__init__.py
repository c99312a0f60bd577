"""The prompt texts of the LLM answerers, as plain Markdown files (package data, no code).

They are loaded and rendered strictly by `qa.answering.prompting`.
"""
