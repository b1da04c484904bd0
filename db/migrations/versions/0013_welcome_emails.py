"""welcome emails: the ledger of the one welcome each reader who confirms on the web gets

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'welcome_emails',
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=250), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['subscribers.id'],
            name=op.f('fk_welcome_emails_subscriber_id_subscribers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_welcome_emails')),
    )
    op.create_index(op.f('ix_welcome_emails_state'), 'welcome_emails', ['state'])


def downgrade() -> None:
    op.drop_index(op.f('ix_welcome_emails_state'), table_name='welcome_emails')
    op.drop_table('welcome_emails')
