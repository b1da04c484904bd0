"""The editor's note waiting for the next digest: one row at most, written from the console
or the CLI, taken by the digest built next (see ``DigestSql.save_digest``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.models import EditorNote

_ONLY = 1  # the one row's id: there is one next digest, so one note waiting for it


@dataclass(frozen=True)
class NoteRecord:
    """The note as the owner wrote it (Markdown), and who wrote it when."""

    markdown: str
    updated_at: datetime
    updated_by: str


class NotesSql(SqlBase):
    """The note for the next digest: read, write, clear."""

    def editor_note(self) -> NoteRecord | None:
        """The note waiting for the next digest, if any."""
        with self._session() as session:
            row = session.get(EditorNote, _ONLY)
            return None if row is None else record(NoteRecord, row)

    def set_editor_note(self, markdown: str, by: str, now: datetime) -> NoteRecord:
        """Write (or rewrite) the note for the next digest."""
        values = {"markdown": markdown, "updated_at": now, "updated_by": by}
        with self._session() as session:
            statement = dialect_insert(session, EditorNote).values(id=_ONLY, **values)
            session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
            row = session.scalars(select(EditorNote).where(EditorNote.id == _ONLY)).one()
            return record(NoteRecord, row)

    def clear_editor_note(self) -> bool:
        """Remove the note waiting; False when there was none."""
        with self._session() as session:
            done = session.execute(delete(EditorNote).where(EditorNote.id == _ONLY))
            return bool(getattr(done, "rowcount", 0))
