"""Kept for imports from before the web app became a package (assistant.web); remove after the merge."""

from .web import create_app, launch_options  # noqa: F401
