"""users: session_epoch (signing out ends every session cookie of the user) and the per-account
login throttle (failed_logins, locked_until)

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
        batch.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('locked_until')
        batch.drop_column('failed_logins')
        batch.drop_column('session_epoch')
