"""digests.resent_after_crash: messages sent again after a send died with them in flight

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('digests') as batch:
        batch.add_column(
            sa.Column('resent_after_crash', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('digests') as batch:
        batch.drop_column('resent_after_crash')
