"""The console's blueprint with all its routes (each module registers its own)."""

from newsletter.web import (  # noqa: F401  (imported for the routes they register)
    admin_auth,
    admin_digest,
    admin_overview,
    admin_questions,
    admin_subscribers,
)
from newsletter.web.admin_base import blueprint

__all__ = ["blueprint"]
