"""users.session_epoch: signing out ends every session cookie of the user

Revision ID: 0011_session_epoch
Revises: 0010_parking_admin
Create Date: 2026-12-06 08:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_session_epoch'
down_revision = '0010_parking_admin'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_epoch')
