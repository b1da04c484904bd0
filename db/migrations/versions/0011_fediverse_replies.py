"""fediverse replies: whom an answered remote question replies to

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:12:40.118520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fediverse_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.String(length=1024), nullable=False),
    sa.Column('in_reply_to', sa.String(length=1024), nullable=False),
    sa.Column('actor', sa.String(length=1024), nullable=False),
    sa.Column('handle', sa.String(length=300), nullable=True),
    sa.Column('inbox', sa.String(length=1024), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_fediverse_replies_entry_id_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fediverse_replies')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_fediverse_replies_entry_id'))
    )
    op.create_index(op.f('ix_fediverse_replies_received_at'), 'fediverse_replies', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_fediverse_replies_received_at'), table_name='fediverse_replies')
    op.drop_table('fediverse_replies')
