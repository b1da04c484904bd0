"""The site as one fediverse account, ``@news@<host>`` (docs/fediverse.md).

Pure parts: the documents (``actor``), the activities (``activities``), what an incoming
activity means (``inbox``), the delivery policy (``delivery.next_step``) and the posts to
send (``posts``). Parts that act: ``receive`` (a POST to the inbox) and ``delivery`` (the
ledger's sender), over the store and :mod:`newsletter.sources.fediverse`.
"""
