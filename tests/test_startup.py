"""Process start: a command imports only what it needs, so `newsletter --help` and a cron
`run` with nothing to do stay cheap. Checked by what is imported, never by a time."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from newsletter.store.engine import head_revision, migrations_dir

HEAVY = (
    "sqlalchemy",
    "alembic",
    "httpx",
    "aiohttp",
    "feedparser",
    "rich",
    "yaml",
    "jinja2",
    "nh3",
    "argon2",
    "pyotp",
)


def _imported_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return {name.partition(".")[0] for name in done.stdout.split()}


@pytest.mark.slow
def test_importing_the_cli_loads_no_database_http_or_feed_library() -> None:
    assert _imported_after("import newsletter.cli") & set(HEAVY) == set()


@pytest.mark.slow
def test_status_s_deliverability_lines_load_no_sender_smtp_or_imap() -> None:
    loaded = _imported_after("import newsletter.mail.bounces.stats")
    assert loaded & {"smtplib", "imaplib", "dkim", "itsdangerous", "flufl"} == set()


@pytest.mark.slow
def test_status_s_programme_check_loads_no_template_or_markdown_engine() -> None:
    # `status` reads programmes.yaml (checked against the catalog and the templates'
    # folders); the digest's building and rendering stay unloaded.
    loaded = _imported_after("import newsletter.programmes.file")
    assert loaded & {"jinja2", "markdown_it", "nh3", "lxml"} == set()
    assert "yaml" in loaded  # the control: the file's reader is there


@pytest.mark.parametrize("package", ["newsletter.mail", "newsletter.digest"])
def test_every_name_a_lazy_package_offers_loads_on_first_use(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert getattr(value, "__name__", name) == name
    with pytest.raises(AttributeError):
        _ = module.nothing_of_that_name


@pytest.mark.slow
def test_opening_the_store_does_not_load_alembic_when_the_schema_is_current() -> None:
    loaded = _imported_after(
        "from newsletter.store.engine import ensure_schema, make_engine\n"
        "import tempfile, os\n"
        "url = 'sqlite:///' + os.path.join(tempfile.mkdtemp(), 'db.sqlite3')\n"
        "engine = make_engine(url)\n"
        "import subprocess\n"
        "subprocess.run([sys.executable, '-c', 'from newsletter.store.engine import *; "
        "upgrade(make_engine(' + repr(url) + '))'], check=True)\n"
        "ensure_schema(engine, auto_upgrade=True)"
    )
    assert "sqlalchemy" in loaded
    assert "alembic" not in loaded


@pytest.mark.slow
def test_collecting_local_files_loads_no_http_client() -> None:
    # The sample site's feeds are files: its cron `run` should not pay for aiohttp's import.
    loaded = _imported_after(
        "import pathlib, tempfile\n"
        "from newsletter.sources import Limits, SourceRequest\n"
        "from newsletter.sources.read import read_feeds\n"
        "feed = pathlib.Path(tempfile.mkdtemp()) / 'feed.xml'\n"
        "feed.write_text('<rss version=\"2.0\"><channel><title>t</title></channel></rss>')\n"
        "request = SourceRequest(feed_id=1, key='f', kind='articles', path=feed)\n"
        "[result] = read_feeds([request], Limits(parse_workers=1))\n"
        "assert result.parsed is not None, result"
    )
    assert "aiohttp" not in loaded
    assert "newsletter" in loaded  # the control: the collect did run


@pytest.mark.slow
def test_run_loads_the_fediverse_and_bounce_parsing_only_for_a_site_that_uses_them() -> None:
    # A cron run every few minutes on a site with neither a fediverse account nor a bounce
    # mailbox (the sample's): its steps' modules are imported when the step runs.
    loaded = _imported_after("import newsletter.run")
    assert loaded & {"aiohttp", "flufl"} == set()
    assert "sqlalchemy" in loaded  # the control: the run's other steps are there


def test_the_head_read_from_the_file_names_is_the_one_alembic_finds() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_the_admin_command_s_roles_are_the_store_s() -> None:
    from newsletter.cli.admin import ROLES
    from newsletter.store.admin import ADMIN_ROLES

    assert ROLES == ADMIN_ROLES
