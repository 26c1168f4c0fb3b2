"""The gradio web app: parents' chat, teachers' rule lookup, index status, feedback and an admin rebuild."""

from .app import WebApp, create_app, launch_options
from .jobs import IndexJob, JobState

__all__ = ["IndexJob", "JobState", "WebApp", "create_app", "launch_options"]
