"""newsqa chat UI: `python app.py` serves it on http://127.0.0.1:7860.

    python app.py                          # this computer only (ingests seeds/ into an empty store)
    NEWSQA_AUTH=editor:secret python app.py --host 0.0.0.0 --port 8080
    python app.py --help                   # every option

The UI lives in the package newsqa.ui (render, actions, layout, serve, ...); its docstring lists
the API endpoints for `gradio_client`. `newsqa serve` starts the same server.
"""

import sys

from newsqa.ui.serve import main

if __name__ == "__main__":
    sys.exit(main())
