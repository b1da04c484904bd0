"""The SQLAlchemy store: one class composed of one mixin per table family."""

from __future__ import annotations

from newsletter.store.admin import AdminSql
from newsletter.store.answer_emails import AnswerEmailsSql
from newsletter.store.archive import ArchiveSql
from newsletter.store.bounces import BouncesSql
from newsletter.store.console import ConsoleSql
from newsletter.store.deliveries import DeliveriesSql
from newsletter.store.digests import DigestSql
from newsletter.store.entries import EntriesSql
from newsletter.store.exercises import ExercisesSql
from newsletter.store.fediverse import FediverseSql
from newsletter.store.fediverse_health import FediverseHealthSql
from newsletter.store.fediverse_replies import FediverseRepliesSql
from newsletter.store.feeds import FeedsSql
from newsletter.store.leases import LeasesSql
from newsletter.store.links import LinksSql
from newsletter.store.locks import LocksSql
from newsletter.store.notes import NotesSql
from newsletter.store.once_emails import OnceEmailsSql
from newsletter.store.preferences import PreferencesSql
from newsletter.store.programmes import ProgrammesSql
from newsletter.store.questions import QuestionsSql
from newsletter.store.runs import RunsSql
from newsletter.store.subscribers import SubscribersSql
from newsletter.store.welcome_emails import WelcomeEmailsSql


class SqlStore(
    FeedsSql,
    EntriesSql,
    RunsSql,
    ExercisesSql,
    DigestSql,
    NotesSql,
    ArchiveSql,
    SubscribersSql,
    DeliveriesSql,
    QuestionsSql,
    AnswerEmailsSql,
    BouncesSql,
    LinksSql,
    AdminSql,
    ConsoleSql,
    LocksSql,
    LeasesSql,
    PreferencesSql,
    ProgrammesSql,
    FediverseSql,
    FediverseRepliesSql,
    FediverseHealthSql,
    WelcomeEmailsSql,
    OnceEmailsSql,
):
    """The store every caller takes: one mixin per table family."""
