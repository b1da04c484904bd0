"""readers' preferences: sections, frequency, format and pause; digest variants; history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscribers') as batch:
        batch.add_column(sa.Column('choice', sa.String(length=500), server_default='', nullable=False))
        batch.add_column(
            sa.Column('frequency', sa.String(length=10), server_default='weekly', nullable=False)
        )
        batch.add_column(sa.Column('paused_until', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('last_week', sa.String(length=8), nullable=True))
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('variant', sa.String(length=600), server_default='', nullable=False))
    with op.batch_alter_table('digests') as batch:
        batch.add_column(sa.Column('monthly', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'subscriber_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('what', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['subscribers.id'],
            name=op.f('fk_subscriber_events_subscriber_id_subscribers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriber_events')),
    )
    op.create_index(
        'ix_subscriber_events_subscriber_id_id', 'subscriber_events', ['subscriber_id', 'id']
    )
    op.create_table(
        'digest_variants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=600), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['digest_id'], ['digests.id'],
            name=op.f('fk_digest_variants_digest_id_digests'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_variants')),
        sa.UniqueConstraint('digest_id', 'key', name=op.f('uq_digest_variants_digest_id_key')),
    )


def downgrade() -> None:
    op.drop_table('digest_variants')
    op.drop_index('ix_subscriber_events_subscriber_id_id', table_name='subscriber_events')
    op.drop_table('subscriber_events')
    with op.batch_alter_table('digests') as batch:
        batch.drop_column('monthly')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('variant')
    with op.batch_alter_table('subscribers') as batch:
        batch.drop_column('last_week')
        batch.drop_column('paused_until')
        batch.drop_column('frequency')
        batch.drop_column('choice')
