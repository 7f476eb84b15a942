"""parking administration: a lot's monthly pass price, owners' online pass purchases

Revision ID: 0010_parking_admin
Revises: 0009_scoring
Create Date: 2026-11-23 12:17:33.849233
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_parking_admin'
down_revision = '0009_scoring'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('parking_pass_purchases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_parking_pass_purchases_created_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['parking_lots.id'], name=op.f('fk_parking_pass_purchases_lot_id_parking_lots')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_parking_pass_purchases_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parking_pass_purchases'))
    )
    op.create_index(op.f('ix_parking_pass_purchases_lot_id'), 'parking_pass_purchases', ['lot_id'], unique=False)
    op.create_index(op.f('ix_parking_pass_purchases_vehicle_id'), 'parking_pass_purchases', ['vehicle_id'], unique=False)
    # batch: SQLite cannot add constraints to an existing table in place
    with op.batch_alter_table('parking_lots') as batch:
        batch.add_column(sa.Column('monthly_pass_price_fen', sa.BigInteger(), nullable=True))
        batch.create_check_constraint(op.f('ck_parking_lots_monthly_pass_price'), 'monthly_pass_price_fen > 0')
    with op.batch_alter_table('parking_passes') as batch:
        batch.add_column(sa.Column('purchase_id', sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f('uq_parking_passes_purchase_id'), ['purchase_id'])
        batch.create_foreign_key(op.f('fk_parking_passes_purchase_id_parking_pass_purchases'),
                                 'parking_pass_purchases', ['purchase_id'], ['id'])


def downgrade():
    with op.batch_alter_table('parking_passes') as batch:
        batch.drop_constraint(op.f('fk_parking_passes_purchase_id_parking_pass_purchases'), type_='foreignkey')
        batch.drop_constraint(op.f('uq_parking_passes_purchase_id'), type_='unique')
        batch.drop_column('purchase_id')
    with op.batch_alter_table('parking_lots') as batch:
        batch.drop_constraint(op.f('ck_parking_lots_monthly_pass_price'), type_='check')
        batch.drop_column('monthly_pass_price_fen')
    op.drop_index(op.f('ix_parking_pass_purchases_vehicle_id'), table_name='parking_pass_purchases')
    op.drop_index(op.f('ix_parking_pass_purchases_lot_id'), table_name='parking_pass_purchases')
    op.drop_table('parking_pass_purchases')
