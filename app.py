"""Start the web app: `python app.py [--host H] [--port P]` (defaults from ASSISTANT_APP_HOST/PORT, else 127.0.0.1:7860)."""

from __future__ import annotations

import argparse
import logging
import os

# Before gradio is imported: no phone-home from an app that runs offline.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="“双减”政策问答助手 web app")
    parser.add_argument("--host", help="address to listen on (default: ASSISTANT_APP_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: ASSISTANT_APP_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from assistant import Assistant, Settings
    from assistant.ui import create_app, launch_options

    settings = Settings()
    demo, _ = create_app(Assistant(settings), settings)
    demo.launch(**launch_options(settings, args.host, args.port))


if __name__ == "__main__":
    main()
