"""collect_rounds and feed leases: collectors on several machines share each round

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'collect_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('collectors', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collect_rounds')),
    )
    with op.batch_alter_table('feeds') as batch:
        batch.add_column(sa.Column('lease_owner', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('round_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds') as batch:
        batch.drop_column('round_id')
        batch.drop_column('lease_until')
        batch.drop_column('lease_owner')
    op.drop_table('collect_rounds')
