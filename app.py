"""Start Loomwork: `python app.py` (or `make run`, or `loom serve`)."""

from __future__ import annotations

import os

import uvicorn

from integrations.server import create_app


def main() -> None:
    host = os.environ.get("LOOM_HOST", "127.0.0.1")
    port = int(os.environ.get("LOOM_PORT", "7860"))
    print(f"Loomwork is starting at http://{host}:{port}", flush=True)
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
