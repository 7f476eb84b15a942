"""outbox_messages: request_id, the id of the request that wrote the job (its log lines carry it)

Revision ID: 0012_outbox_request_id
Revises: 0011_session_epoch
Create Date: 2026-12-06 08:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_outbox_request_id'
down_revision = '0011_session_epoch'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('request_id')
