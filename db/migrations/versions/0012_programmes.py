"""programmes: enrolments, a mailing per step and day, deliveries of either parent

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'programme_mailings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme', sa.String(length=100), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.Column('resent_after_crash', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_mailings')),
        sa.UniqueConstraint(
            'programme', 'step', 'day', name=op.f('uq_programme_mailings_programme_step_day')
        ),
    )
    op.create_index(
        op.f('ix_programme_mailings_day'), 'programme_mailings', ['day'], unique=False
    )
    op.create_table(
        'enrolments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('programme', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('steps_sent', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.String(length=10), nullable=True),
        sa.Column('last_day', sa.String(length=10), nullable=True),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['subscribers.id'],
            name=op.f('fk_enrolments_subscriber_id_subscribers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
        sa.UniqueConstraint(
            'subscriber_id', 'programme', name=op.f('uq_enrolments_subscriber_id_programme')
        ),
    )
    op.create_index(
        'ix_enrolments_due', 'enrolments', ['programme', 'state', 'steps_sent', 'due_on']
    )
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('digest_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('mailing_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_deliveries_mailing_id_programme_mailings'), 'programme_mailings',
            ['mailing_id'], ['id'], ondelete='CASCADE',
        )
        batch.create_unique_constraint(
            op.f('uq_deliveries_mailing_id_subscriber_id'), ['mailing_id', 'subscriber_id']
        )
        batch.create_check_constraint(
            'one_parent', '(digest_id IS NULL) <> (mailing_id IS NULL)'
        )
    op.create_index(
        'ix_deliveries_mailing_state', 'deliveries', ['mailing_id', 'state', 'id'], unique=False
    )
    op.create_index('ix_deliveries_state_claimed_by', 'deliveries', ['state', 'claimed_by'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_state_claimed_by', table_name='deliveries')
    op.drop_index('ix_deliveries_mailing_state', table_name='deliveries')
    op.execute('DELETE FROM deliveries WHERE mailing_id IS NOT NULL')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_constraint('ck_deliveries_one_parent', type_='check')
        batch.drop_constraint(op.f('uq_deliveries_mailing_id_subscriber_id'), type_='unique')
        batch.drop_constraint(
            op.f('fk_deliveries_mailing_id_programme_mailings'), type_='foreignkey'
        )
        batch.drop_column('mailing_id')
        batch.alter_column('digest_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index('ix_enrolments_due', table_name='enrolments')
    op.drop_table('enrolments')
    op.drop_index(op.f('ix_programme_mailings_day'), table_name='programme_mailings')
    op.drop_table('programme_mailings')
