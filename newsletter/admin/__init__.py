"""The owner's console, its core: accounts, signing in, sessions, and what the pages read.

    accounts.py   accounts from the CLI: argon2id hashes, roles, TOTP enrolment
    access.py     signing in (throttled, same answer for every failure) and sessions
    throttle.py   the pure decision: how many failures are too many, and for how long

The routes are in ``newsletter.web.admin``; they call these and hold no logic.
"""
