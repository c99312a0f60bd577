"""newsqa, the application: the views over the library (`qa`) and the ingest pipeline (`ingest`).

    newsqa.cli   the `newsqa` command (typer)
    newsqa.ui    the Gradio chat UI (`python app.py`, `newsqa serve`)

Views only: both call the same public functions a Python user calls (`from qa import ask`,
`from ingest import ingest`) and import nothing else from the library.
"""
