"""serve: the web app on the waitress production server."""

from __future__ import annotations

import click

from newsletter.cli.app import App, pass_app, utcnow


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option(
    "--proxies",
    type=click.IntRange(0, 5),
    default=0,
    show_default=True,
    help="Reverse proxies in front (e.g. 1 behind nginx): trust that many X-Forwarded-* hops.",
)
@pass_app
def serve(app: App, host: str, port: int, threads: int, proxies: int) -> None:
    """The web app: subscribe, confirm, unsubscribe, ask a question, the archive and the
    feeds, on the waitress production server."""
    from newsletter.web import access_log, create_app
    from newsletter.web.server import make_server

    with app.store() as store:
        web_app = create_app(app.settings, store, utcnow, proxies=proxies)
        server = make_server(web_app, host, port, threads, proxies)
        access_log.log_to()
        click.echo(f"serving {app.settings.site.title} on http://{host}:{server.port}/")
        server.run()


COMMANDS: list[click.Command] = [serve]
