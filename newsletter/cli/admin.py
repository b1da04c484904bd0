"""admin: the console's accounts (there is no default account and no default password)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, Refused, pass_app, utcnow

if TYPE_CHECKING:
    from newsletter.admin.accounts import Role

# newsletter.store.admin.ADMIN_ROLES, spelled here so `--help` loads neither SQLAlchemy nor
# argon2 (tests/test_startup.py checks both that and that the two agree).
ROLES = ("owner", "moderator")

STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


@click.group()
def admin() -> None:
    """Accounts of the owner's console at /admin/."""


@admin.command(name="add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True)
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
@pass_app
def admin_add(app: App, email: str, role: Role, password_stdin: bool) -> None:
    """Create a console account (a moderator sees and acts on questions only)."""
    from newsletter.admin.accounts import account_key, add_account

    account_key(email)  # a bad address is said before a password is asked for
    password = read_password(password_stdin)
    with app.store() as store:
        created = add_account(store, email, role, password, utcnow())
    click.echo(f"{created.email} can sign in at /admin/ as {created.role}")


@admin.command(name="list")
@pass_app
def admin_list(app: App) -> None:
    """List the console accounts."""
    from newsletter.admin.accounts import list_accounts

    with app.store() as store:
        lines = list_accounts(store)
    for line in lines:
        factor = "two-factor" if line.two_factor else "password only"
        click.echo(f"{line.email}  {line.role}  {factor}  since {line.created_at:%Y-%m-%d}")
    click.echo(f"{len(lines)} account(s)")


@admin.command(name="remove")
@click.argument("email")
@pass_app
def admin_remove(app: App, email: str) -> None:
    """Remove an account; its sessions end at once."""
    from newsletter.admin.accounts import remove_account

    with app.store() as store:
        shown = remove_account(store, email)
    click.echo(f"{shown} removed")


@admin.command(name="reset")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
@pass_app
def admin_reset(app: App, email: str, password_stdin: bool) -> None:
    """Set a new password; every session of the account ends at once."""
    from newsletter.admin.accounts import reset_account

    password = read_password(password_stdin)
    with app.store() as store:
        shown = reset_account(store, email, password, utcnow())
    click.echo(f"{shown} has a new password; their sessions were signed out")


def read_password(from_stdin: bool) -> str:
    """From stdin's first line, or typed twice at a prompt; never from an argument."""
    from newsletter.admin.accounts import check_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise Refused("no terminal to ask for the password: pipe it with --password-stdin")
    try:
        return check_password(password)
    except Exception as exc:
        raise Refused(str(exc)) from None


COMMANDS: list[click.Command] = [admin]
