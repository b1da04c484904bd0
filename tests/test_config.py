"""feeds.yaml and NEWSLETTER_*: every mistake refused before work starts, naming the line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from datetime import time
from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.errors import ConfigError

GOOD_FEEDS = """\
feeds:
  - name: Running Training
    url: https://www.example.com/running-training/feed.xml
  - name: Readers' questions
    path: examples/questions.xml
    kind: questions
"""

WriteConfig = Callable[..., Path]


def refused(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ or {})
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


def test_the_bundled_feeds_yaml_loads() -> None:
    settings = load_settings(Path(__file__).parents[1] / "feeds.yaml", {})
    assert settings.site.title == "Best Running Tips"
    assert settings.newsletter.timezone == "Europe/London"
    assert str(settings.newsletter.send_on) == "monday 07:00"
    assert {f.kind for f in settings.feeds} == {"articles", "questions"}
    assert all(f.path is not None and f.path.is_file() for f in settings.feeds)


def test_good_config_is_typed_and_immutable(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(GOOD_FEEDS), {})
    first, second = settings.feeds
    assert first.url == "https://www.example.com/running-training/feed.xml"
    assert first.kind == "articles" and first.key == first.url and first.line == 7
    assert second.path == settings.root / "examples" / "questions.xml"
    assert second.key == "path:examples/questions.xml"
    assert settings.newsletter.send_on.weekday == 0
    assert settings.newsletter.send_on.at == time(7, 0)
    assert settings.site.language == "en" and settings.site.feed_items == 50
    with pytest.raises(FrozenInstanceError):
        settings.site.title = "changed"  # type: ignore[misc]


def test_environment_defaults_resolve_in_the_site_folder(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(GOOD_FEEDS), {})
    assert settings.env.database_url == f"sqlite:///{settings.root}/db/newsletter.sqlite3"
    assert settings.env.outbox is None, "a folder of emails only when asked for by name"
    assert settings.env.base_url == "http://127.0.0.1:8000/"
    assert settings.env.smtp_url is None and settings.env.secret_key is None


def test_environment_overrides(write_config: WriteConfig) -> None:
    environ = {
        "NEWSLETTER_DATABASE_URL": "postgresql+psycopg://news@db/news",
        "NEWSLETTER_SMTP_URL": "smtp+starttls://user:pw@mail.example.com:587",
        "NEWSLETTER_BASE_URL": "https://news.example.com",
        "NEWSLETTER_OUTBOX": "/var/spool/news",
        "NEWSLETTER_SECRET_KEY": "s3cret" * 6,
    }
    env = load_settings(write_config(GOOD_FEEDS), environ).env
    assert env.database_url == "postgresql+psycopg://news@db/news"
    assert env.smtp_url == "smtp+starttls://user:pw@mail.example.com:587"
    assert env.base_url == "https://news.example.com/"
    assert env.outbox == Path("/var/spool/news")
    assert env.secret_key == "s3cret" * 6


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        (GOOD_FEEDS.replace("    url: https", "    ur: https"), 8, "unknown key 'ur' in a feed"),
        (
            GOOD_FEEDS.replace("https://www", "ftp://www"),
            8,
            "url must be an http:// or https:// URL, not 'ftp://",
        ),
        (
            GOOD_FEEDS.replace("kind: questions", "kind: question"),
            11,
            "unknown kind 'question'; write 'articles' or 'questions'",
        ),
        ("feeds:\n  - url: https://a.example/feed\n", 7, "missing 'name'"),
        ("feeds:\n  - name: A\n", 7, "exactly one of 'url: https://…' or 'path: file.xml'"),
        (
            GOOD_FEEDS
            + "  - name: Again\n    url: https://www.example.com/running-training/feed.xml\n",
            12,
            "the same feed is listed twice (first on line 7)",
        ),
        (GOOD_FEEDS + "  - name: running training\n    path: x.xml\n", 12, "same name"),
        ("feeds: none\n", 6, "feeds must be a list"),
        (GOOD_FEEDS + "extra: 1\n", 12, "unknown key 'extra' in the top level"),
        (GOOD_FEEDS + "collect:\n  deadline: soon\n", 13, "collect.deadline must be a positive"),
        (
            GOOD_FEEDS + "collect:\n  lease_seconds: 0.01\n",
            13,
            "collect.lease_seconds must be from 30 up to 3600, for example 30",
        ),
        (GOOD_FEEDS + "collect:\n  concurency: 3\n", 13, "did you mean 'concurrency'?"),
    ],
)
def test_feed_mistakes_name_the_line(
    write_config: WriteConfig, body: str, line: int, expected: str
) -> None:
    path = write_config(body)
    message = refused(path)
    assert message.startswith(f"{path}:{line}: "), message
    assert expected in message


@pytest.mark.parametrize(
    ("newsletter", "line", "expected"),
    [
        ("  from: nobody\n", 5, "newsletter.from must look like"),
        ("  from: A <a@b.c>\n  timezone: Europe/Lundon\n", 6, "unknown timezone 'Europe/Lundon'"),
        ("  from: A <a@b.c>\n  timezone: europe/london\n", 6, "write 'Europe/London'"),
        ("  from: A <a@b.c>\n  send_on: funday 07:00\n", 6, "like: monday 07:00"),
        ("  from: A <a@b.c>\n  send_on: monday 25:00\n", 6, "like: monday 07:00"),
        ("  form: A <a@b.c>\n", 5, "did you mean 'from'?"),
        ("  send_on: monday 07:00\n", 5, "newsletter is missing 'from'"),
    ],
)
def test_newsletter_mistakes_name_the_line(
    write_config: WriteConfig, newsletter: str, line: int, expected: str
) -> None:
    head = "site:\n  title: T\n  url: https://example.com/\nnewsletter:\n" + newsletter
    path = write_config(GOOD_FEEDS, head=head)
    message = refused(path)
    assert message.startswith(f"{path}:{line}: "), message
    assert expected in message


def test_site_mistakes(write_config: WriteConfig) -> None:
    head = "site:\n  title: T\n  url: example.com\nnewsletter:\n  from: A <a@b.c>\n"
    assert "site.url must be an http:// or https:// URL" in refused(
        write_config(GOOD_FEEDS, head=head)
    )
    head = "site:\n  title: T\nnewsletter:\n  from: A <a@b.c>\n"
    assert ":2: site is missing 'url'" in refused(write_config(GOOD_FEEDS, head=head))


def test_unreadable_files(tmp_path: Path) -> None:
    assert "no such file" in refused(tmp_path / "missing.yaml")
    broken = tmp_path / "feeds.yaml"
    broken.write_text("site: [unclosed\n")
    assert "not valid YAML" in refused(broken)
    broken.write_text("")
    assert "the file is empty" in refused(broken)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"NEWSLETTER_SMTP_HOST": "x"}, "unknown environment variable NEWSLETTER_SMTP_HOST"),
        ({"NEWSLETTER_SMTP_URL": "http://mail"}, "must start with smtp://"),
        ({"NEWSLETTER_BASE_URL": "news.example.com"}, "NEWSLETTER_BASE_URL must be an http(s)"),
        ({"NEWSLETTER_DATABASE_URL": "newsletter.db"}, "not a database URL"),
    ],
)
def test_environment_mistakes(
    write_config: WriteConfig, environ: dict[str, str], expected: str
) -> None:
    assert expected in refused(write_config(GOOD_FEEDS), environ)
