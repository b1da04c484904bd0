"""Bounce and complaint reports that relays post by HTTP, verified before anything acts.

    POST /hooks/ses      Amazon SES through SNS: the SNS signature (versions 1 and 2)
                         checked with the certificate of an SNS host, the topic allowlisted
    POST /hooks/mailgun  Mailgun: HMAC-SHA256 of timestamp+token, in a time window, each
                         token once

A request that fails verification changes nothing and gets a 4xx; a verified report acts
through the store once (``SqlStore.record_bounce``), so a replay changes nothing. The
routes (:mod:`newsletter.web.hooks`) only pass the body, the clock and the store in.
"""

from newsletter.hooks.answer import HookAnswer, HookRefused
from newsletter.hooks.mailgun import handle_mailgun
from newsletter.hooks.sns import Certificates, handle_ses

__all__ = ["Certificates", "HookAnswer", "HookRefused", "handle_mailgun", "handle_ses"]
