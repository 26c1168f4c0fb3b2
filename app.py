"""Start the server: `python app.py [--host H] [--port P]` — web chat at /, API at /api and /v1, admin at /admin."""

from __future__ import annotations

import argparse
import logging
import os

# Before gradio is imported: no phone-home from an app that runs offline.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="“双减”政策问答助手 web app + API")
    parser.add_argument("--host", help="address to listen on (default: ASSISTANT_APP_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: ASSISTANT_APP_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from assistant import Settings
    from assistant.server import create_app

    settings = Settings()
    app = create_app(settings)
    host, port = args.host or settings.app.host, args.port or settings.app.port
    logging.getLogger(__name__).info(
        "serving on http://%s:%s/ (API docs at /docs, admin at /admin)", host, port
    )
    # Plenty of threads for gradio's streaming handlers; answering itself is capped by concurrency_limit.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
