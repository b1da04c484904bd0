"""The bounce mailbox: what comes back after sending, each message acted on once.

``mailbox`` and ``imap`` read the messages (files, or IMAP over TLS), ``classify`` says what
each one is (a pure function), ``process`` hands it to the store
(``newsletter.store.bounces``) and acknowledges it only after the commit.
"""
