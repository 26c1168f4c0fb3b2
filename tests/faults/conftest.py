"""Fault suite fixtures: real corpus copies, real indexes built once, real CLI processes.

Two index templates are built once per session and copied for every destructive case (copying a folder
takes milliseconds; an ingest takes a minute):
- `full_template`: the whole real corpus, reusing the session index of tests/conftest.py;
- `small_template`: two real corpus files with their manifest entries, for the cases whose repair
  re-embeds everything (a rebuild of the small corpus takes seconds).
Every CLI case runs `python -m assistant` as a subprocess: Chroma's embedded store caches one client per
path inside a process, so only separate processes see the folder the way users do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT


def pytest_collection_modifyitems(items):
    """Everything here runs real processes over real indexes: slow (`pytest -m "not slow"` skips it)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


SMALL_FILES = ("000_f513dab035cd72a0.txt", "001_84cda09009ea5ed3.txt")
SMALL_QUESTION = "芙蓉初级中学每天书面作业总共不超过多少分钟？"
GRADE3_QUESTION = "三年级每天的书面作业不超过多长时间？"


@dataclass
class Home:
    """One private copy: corpus/ + indexes/ under `path`."""

    path: Path

    @property
    def corpus(self) -> Path:
        return self.path / "corpus"

    @property
    def index(self) -> Path:
        return self.path / "indexes"

    def current(self) -> Path:
        return self.index / "generations" / (self.index / "CURRENT").read_text().strip()


def cli(home: Path | Home, *args: str | bytes, env: dict | None = None, timeout: float = 600):
    """`python -m assistant ARGS` in a fresh process; bytes arguments reach argv undecoded."""
    home_path = home.path if isinstance(home, Home) else home
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environ.update(ASSISTANT_HOME=str(home_path), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        env=environ,
        cwd=ROOT,
        timeout=timeout,
    )
    done.out = done.stdout.decode("utf-8", "replace")
    done.err = done.stderr.decode("utf-8", "replace")
    return done


def assert_clean(done) -> None:
    """A message, never a traceback or a terminal control sequence."""
    for text in (done.out, done.err):
        assert "Traceback" not in text, text
        assert "\x1b" not in text and "\x07" not in text


def sources(home: Home) -> dict[str, dict]:
    """What `sources --json` lists, by id; {} when it cannot list (the caller asserts on that)."""
    done = cli(home, "sources", "--json")
    assert_clean(done)
    if done.returncode != 0:
        return {}
    return {d["id"]: d for d in json.loads(done.out)["documents"]}


def ask_json(home: Home, question: str, *extra: str) -> dict:
    done = cli(home, "ask", question, "--json", *extra)
    assert_clean(done)
    assert done.returncode == 0, done.err
    return json.loads(done.out)


def copy_home(template: Path, dest: Path) -> Home:
    shutil.copytree(template, dest, symlinks=True)
    return Home(dest)


@pytest.fixture(scope="session")
def full_template(assistant, session_home, tmp_path_factory) -> Path:
    """The real corpus and its session index, copied once (the session Assistant keeps its own folder)."""
    template = tmp_path_factory.mktemp("faults") / "full"
    shutil.copytree(session_home / "corpus", template / "corpus")
    shutil.copytree(session_home / "indexes", template / "indexes", ignore=shutil.ignore_patterns("readers"))
    return template


@pytest.fixture(scope="session")
def small_template(tmp_path_factory) -> Path:
    """Two real documents with their manifest entries, indexed once by the real CLI."""
    template = tmp_path_factory.mktemp("faults") / "small"
    (template / "corpus").mkdir(parents=True)
    for name in SMALL_FILES:
        shutil.copy(CORPUS / name, template / "corpus" / name)
    manifest = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    head, *entries = manifest.split("\n[[documents]]")
    kept = [e for e in entries if any(f'source = "{name}"' in e for name in SMALL_FILES)]
    (template / "corpus" / "manifest.toml").write_text(
        head + "".join("\n[[documents]]" + e for e in kept), encoding="utf-8"
    )
    done = cli(template, "ingest", "--quiet")
    assert done.returncode == 0, done.err
    return template


@pytest.fixture
def full_home(full_template, tmp_path) -> Home:
    return copy_home(full_template, tmp_path / "home")


@pytest.fixture
def small_home(small_template, tmp_path) -> Home:
    return copy_home(small_template, tmp_path / "home")
