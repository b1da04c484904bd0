"""answer emails: the asker's consent on the ask form, and the ledger of the one email each

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('entries') as batch:
        batch.add_column(
            sa.Column(
                'asker_wants_answer', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        'answer_emails',
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=250), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['entry_id'], ['entries.id'],
            name=op.f('fk_answer_emails_entry_id_entries'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_answer_emails')),
    )


def downgrade() -> None:
    op.drop_table('answer_emails')
    with op.batch_alter_table('entries') as batch:
        batch.drop_column('asker_wants_answer')
