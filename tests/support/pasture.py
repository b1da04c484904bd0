"""fediverse-pasture's test actors, served on a socket the test bound on 127.0.0.1 (this
file runs in a process of its own: python tests/support/pasture.py FD ACTORS.json LOG).

The actors are the pasture's own (``generate_possible_actors``): alice takes anything, bob's
inbox refuses unsigned POSTs (401), claire also answers only signed GETs of her actor (like
Mastodon's authorized fetch); "actor" is the pasture's application actor, whose signed GETs
fetch the keys of whoever posts to bob or claire. Every POST an inbox takes (after its
checks) is appended to LOG as one JSON line: ``{"inbox": "/bob/inbox", "activity": {…}}``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

from fediverse_pasture.data_provider.models import ActorData
from fediverse_pasture.server import BlueprintForActors
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request


def app(actors: list[ActorData], log: Path) -> Quart:
    quart = Quart("pasture")

    async def on_inbox(data: dict[str, Any]) -> None:
        line = {"inbox": request.path, "activity": data}  # awaited while the POST is served
        with log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    quart.register_blueprint(BlueprintForActors(actors=actors, on_inbox=on_inbox).blueprint)
    return quart


def main() -> None:
    fd, actors_file, log = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    actors = [ActorData(**a) for a in json.loads(actors_file.read_text(encoding="utf-8"))]
    listening = socket.socket(fileno=fd)
    config = Config()
    config.bind = [f"fd://{listening.fileno()}"]
    config.accesslog = None
    asyncio.run(serve(app(actors, log), config))


if __name__ == "__main__":
    main()
