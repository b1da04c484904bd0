"""fediverse account, followers, posts, activities, deliveries

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:05:22.587422
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fediverse_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fediverse_account'))
    )
    op.create_table('fediverse_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fediverse_activities')),
    sa.UniqueConstraint('key', name=op.f('uq_fediverse_activities_key'))
    )
    op.create_table('fediverse_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=1024), nullable=False),
    sa.Column('inbox', sa.String(length=1024), nullable=False),
    sa.Column('shared_inbox', sa.String(length=1024), nullable=True),
    sa.Column('follow_id', sa.Text(), nullable=True),
    sa.Column('followed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fediverse_followers')),
    sa.UniqueConstraint('actor', name=op.f('uq_fediverse_followers_actor'))
    )
    op.create_table('fediverse_posts',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_fediverse_posts'))
    )
    op.create_table('fediverse_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('inbox', sa.String(length=1024), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['fediverse_activities.id'], name=op.f('fk_fediverse_deliveries_activity_id_fediverse_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fediverse_deliveries')),
    sa.UniqueConstraint('activity_id', 'inbox', name=op.f('uq_fediverse_deliveries_activity_id_inbox'))
    )
    op.create_index(
        'ix_fediverse_deliveries_state_next', 'fediverse_deliveries', ['state', 'next_attempt_at']
    )



def downgrade() -> None:
    op.drop_index('ix_fediverse_deliveries_state_next', table_name='fediverse_deliveries')
    op.drop_table('fediverse_deliveries')
    op.drop_table('fediverse_posts')
    op.drop_table('fediverse_followers')
    op.drop_table('fediverse_activities')
    op.drop_table('fediverse_account')
