"""The one table of NEWSLETTER_* variables: the loader, Environment and the README agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_type_hints

import pytest

from newsletter.config import Environment
from newsletter.config.variables import (
    VARIABLES,
    environment_table,
    load_environment,
    unknown_hint,
)
from newsletter.errors import ConfigError


def test_every_environment_field_has_its_variable_and_back() -> None:
    fields = {f.name for f in dataclasses.fields(Environment)}
    declared = {v.field for v in VARIABLES if v.field is not None}
    assert declared == fields


def test_each_variable_is_read_into_its_fields_type() -> None:
    # Environment(**values) is not type-checked: the reader's annotation stands for it.
    types = get_type_hints(Environment)
    for v in VARIABLES:
        if v.field is not None:
            assert get_type_hints(v.read)["return"] == types[v.field], v.name


def test_every_variable_is_accepted_and_a_typo_gets_a_did_you_mean(tmp_path: Path) -> None:
    for v in VARIABLES:
        assert unknown_hint(v.env) is None
    assert unknown_hint("NEWSLETTER_TEST_ANYTHING") is None
    assert unknown_hint("PATH") is None
    assert unknown_hint("NEWSLETTER_SMTP_ULR") == (
        "unknown environment variable NEWSLETTER_SMTP_ULR; did you mean NEWSLETTER_SMTP_URL?"
    )
    with pytest.raises(ConfigError, match="did you mean NEWSLETTER_BASE_URL"):
        load_environment({"NEWSLETTER_BASE_ULR": "https://example.com/"}, tmp_path)


def test_the_readme_table_lists_every_variable_once() -> None:
    table = environment_table()
    for v in VARIABLES:
        assert table.count(f"| `{v.env}` |") == 1


# Malformed values of each secret that the loader checks: the error names the variable and
# what to write, never the value (it lands in cron mail and logs).
MALFORMED_SECRETS = {
    "SMTP_URL": "ftp://user:{marker}@mail.example.com",
    "BOUNCE_IMAP_URL": "pop3://user:{marker}@mail.example.com/INBOX",
    "SECRET_KEY": "{marker}",  # too short
}


@pytest.mark.parametrize("name", sorted(MALFORMED_SECRETS))
def test_an_error_about_a_secret_never_shows_it(name: str, tmp_path: Path) -> None:
    assert next(v for v in VARIABLES if v.name == name).secret
    marker = "s3cr3tXYZ"
    environ = {f"NEWSLETTER_{name}": MALFORMED_SECRETS[name].format(marker=marker)}
    with pytest.raises(ConfigError) as raised:
        load_environment(environ, tmp_path)
    assert f"NEWSLETTER_{name}" in str(raised.value)
    assert marker not in str(raised.value)
