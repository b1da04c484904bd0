"""bounce_events and bounce_streaks: the bounce mailbox, each message acted on once

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'bounce_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('digest_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['digest_id'], ['digests.id'],
            name=op.f('fk_bounce_events_digest_id_digests'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['subscribers.id'],
            name=op.f('fk_bounce_events_subscriber_id_subscribers'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bounce_events')),
        sa.UniqueConstraint('message_key', name=op.f('uq_bounce_events_message_key')),
    )
    op.create_index(
        'ix_bounce_events_digest_kind', 'bounce_events', ['digest_id', 'kind'], unique=False
    )
    op.create_table(
        'bounce_streaks',
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('soft_bounces', sa.Integer(), nullable=False),
        sa.Column('last_digest_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['subscribers.id'],
            name=op.f('fk_bounce_streaks_subscriber_id_subscribers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_bounce_streaks')),
    )


def downgrade() -> None:
    op.drop_table('bounce_streaks')
    op.drop_index('ix_bounce_events_digest_kind', table_name='bounce_events')
    op.drop_table('bounce_events')
