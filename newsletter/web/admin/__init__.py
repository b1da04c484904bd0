"""The console's blueprint with all its routes (each module registers its own): signing
in (``auth``), the overview, the digest, the programmes, the questions, the subscribers
and the fediverse account, on the shared pieces of ``base`` (the blueprint, the console's
own cookie and token, the page helper)."""

from newsletter.web.admin import (  # noqa: F401  (imported for the routes they register)
    auth,
    digest,
    fediverse,
    overview,
    programmes,
    questions,
    subscribers,
)
from newsletter.web.admin.base import blueprint

__all__ = ["blueprint"]
