"""subscribers: email_key, the case-insensitive identity of an address

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=320), nullable=True))
    # Rows written before this revision stored one form only; its lower-case is the key.
    op.execute("UPDATE subscribers SET email_key = lower(email)")
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('email_key', existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_constraint('uq_subscribers_email', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_subscribers_email_key'), ['email_key'])


def downgrade() -> None:
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subscribers_email_key'), type_='unique')
        batch_op.create_unique_constraint('uq_subscribers_email', ['email'])
        batch_op.drop_column('email_key')
