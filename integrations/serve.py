"""Start the server: `python app.py`, `make run` and `loom serve` all come here."""

from __future__ import annotations

import logging

from .settings import Settings


def main(settings: Settings | None = None) -> None:
    import uvicorn

    from .context import Loom
    from .server import create_app

    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(Loom.open(settings))
    url = f"http://{settings.host}:{settings.port}"
    print(f"Loomwork: open {url} (API at {url}/api/v1, docs at {url}/docs, data in {settings.home})", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
