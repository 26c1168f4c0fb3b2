"""One HTTP server: the JSON API, the OpenAI-compatible chat, the admin page and the gradio UI."""

from .app import create_app

__all__ = ["create_app"]
