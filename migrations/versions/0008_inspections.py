"""facilities, labels, checklists, plans, rounds, scans, records, findings

Revision ID: 0008_inspections
Revises: 0007_workorders
Create Date: 2026-11-23 09:19:00.375808
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_inspections'
down_revision = '0007_workorders'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('inspection_checklists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('radius_m', sa.Integer(), nullable=False),
    sa.Column('is_high_risk', sa.Boolean(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('extinguisher', 'hydrant', 'pump', 'elevator', 'gate', 'camera', 'ev_charger', 'roof', 'drain')", name=op.f('ck_inspection_checklists_kind')),
    sa.CheckConstraint('radius_m BETWEEN 5 AND 1000', name=op.f('ck_inspection_checklists_radius')),
    sa.ForeignKeyConstraint(['firm_id'], ['property_firms.id'], name=op.f('fk_inspection_checklists_firm_id_property_firms')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_inspection_checklists_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_checklists')),
    sa.UniqueConstraint('firm_id', 'kind', name=op.f('uq_inspection_checklists_firm_id_kind'))
    )
    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('weekdays', sa.String(length=20), nullable=False),
    sa.Column('month_day', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('late_minutes', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name=op.f('ck_inspection_plans_frequency')),
    sa.CheckConstraint('late_minutes BETWEEN 0 AND 720', name=op.f('ck_inspection_plans_late_minutes')),
    sa.CheckConstraint('month_day IS NULL OR month_day BETWEEN 1 AND 31', name=op.f('ck_inspection_plans_month_day')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_inspection_plans_compound_id_compounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans')),
    sa.UniqueConstraint('compound_id', 'name', name=op.f('uq_inspection_plans_compound_id_name'))
    )
    op.create_index(op.f('ix_inspection_plans_compound_id'), 'inspection_plans', ['compound_id'], unique=False)
    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('floor', sa.String(length=20), nullable=False),
    sa.Column('location_text', sa.String(length=300), nullable=False),
    sa.Column('lat_e6', sa.Integer(), nullable=True),
    sa.Column('lng_e6', sa.Integer(), nullable=True),
    sa.Column('renovation_project', sa.String(length=200), nullable=False),
    sa.Column('contractor', sa.String(length=200), nullable=False),
    sa.Column('warranty_ends_on', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("kind IN ('extinguisher', 'hydrant', 'pump', 'elevator', 'gate', 'camera', 'ev_charger', 'roof', 'drain')", name=op.f('ck_facilities_kind')),
    sa.CheckConstraint('lat_e6 IS NULL OR lat_e6 BETWEEN -90000000 AND 90000000', name=op.f('ck_facilities_lat')),
    sa.CheckConstraint('lng_e6 IS NULL OR lng_e6 BETWEEN -180000000 AND 180000000', name=op.f('ck_facilities_lng')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_facilities_building_id_buildings')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_facilities_compound_id_compounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('compound_id', 'name', name=op.f('uq_facilities_compound_id_name'))
    )
    op.create_index(op.f('ix_facilities_compound_id'), 'facilities', ['compound_id'], unique=False)
    op.create_table('inspection_plan_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_plan_members_plan_id_inspection_plans')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_plan_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plan_members')),
    sa.UniqueConstraint('plan_id', 'user_id', name=op.f('uq_inspection_plan_members_plan_id_user_id'))
    )
    op.create_index(op.f('ix_inspection_plan_members_plan_id'), 'inspection_plan_members', ['plan_id'], unique=False)
    op.create_index(op.f('ix_inspection_plan_members_user_id'), 'inspection_plan_members', ['user_id'], unique=False)
    op.create_table('inspection_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submit_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('missed_marked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('closes_at > opens_at AND submit_until >= closes_at', name=op.f('ck_inspection_rounds_window')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_inspection_rounds_compound_id_compounds')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_rounds_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_rounds')),
    sa.UniqueConstraint('plan_id', 'due_date', name=op.f('uq_inspection_rounds_plan_id_due_date'))
    )
    op.create_index(op.f('ix_inspection_rounds_closes_at'), 'inspection_rounds', ['closes_at'], unique=False)
    op.create_index(op.f('ix_inspection_rounds_compound_id'), 'inspection_rounds', ['compound_id'], unique=False)
    op.create_index(op.f('ix_inspection_rounds_due_date'), 'inspection_rounds', ['due_date'], unique=False)
    op.create_table('facility_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_labels_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_labels')),
    sa.UniqueConstraint('token', name=op.f('uq_facility_labels_token'))
    )
    op.create_index(op.f('ix_facility_labels_facility_id'), 'facility_labels', ['facility_id'], unique=False)
    op.create_index('uq_facility_labels_one_live', 'facility_labels', ['facility_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_table('inspection_plan_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_plan_stops_facility_id_facilities')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_plan_stops_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plan_stops')),
    sa.UniqueConstraint('plan_id', 'facility_id', name=op.f('uq_inspection_plan_stops_plan_id_facility_id'))
    )
    op.create_index(op.f('ix_inspection_plan_stops_facility_id'), 'inspection_plan_stops', ['facility_id'], unique=False)
    op.create_index(op.f('ix_inspection_plan_stops_plan_id'), 'inspection_plan_stops', ['plan_id'], unique=False)
    op.create_table('inspection_round_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.CheckConstraint("status IN ('due', 'on_time', 'late', 'missed')", name=op.f('ck_inspection_round_items_status')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_round_items_facility_id_facilities')),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_rounds.id'], name=op.f('fk_inspection_round_items_round_id_inspection_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_round_items')),
    sa.UniqueConstraint('round_id', 'facility_id', name=op.f('uq_inspection_round_items_round_id_facility_id'))
    )
    op.create_index(op.f('ix_inspection_round_items_facility_id'), 'inspection_round_items', ['facility_id'], unique=False)
    op.create_table('inspection_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_scans_facility_id_facilities')),
    sa.ForeignKeyConstraint(['label_id'], ['facility_labels.id'], name=op.f('fk_inspection_scans_label_id_facility_labels')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_scans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_scans'))
    )
    op.create_index('ix_inspection_scans_user_facility', 'inspection_scans', ['user_id', 'facility_id', 'opened_at'], unique=False)
    op.create_table('inspection_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('round_item_id', sa.Integer(), nullable=True),
    sa.Column('scan_opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat_e6', sa.Integer(), nullable=True),
    sa.Column('lng_e6', sa.Integer(), nullable=True),
    sa.Column('accuracy_m', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Integer(), nullable=True),
    sa.Column('timeliness', sa.String(length=15), nullable=False),
    sa.Column('is_flagged', sa.Boolean(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.CheckConstraint("timeliness IN ('on_time', 'late', 'out_of_window')", name=op.f('ck_inspection_records_timeliness')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_inspection_records_compound_id_compounds')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_records_facility_id_facilities')),
    sa.ForeignKeyConstraint(['round_item_id'], ['inspection_round_items.id'], name=op.f('fk_inspection_records_round_item_id_inspection_round_items')),
    sa.ForeignKeyConstraint(['scan_id'], ['inspection_scans.id'], name=op.f('fk_inspection_records_scan_id_inspection_scans')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspection_records_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_records')),
    sa.UniqueConstraint('scan_id', name=op.f('uq_inspection_records_scan_id'))
    )
    op.create_index('ix_inspection_records_compound_submitted', 'inspection_records', ['compound_id', 'submitted_at'], unique=False)
    op.create_index(op.f('ix_inspection_records_facility_id'), 'inspection_records', ['facility_id'], unique=False)
    op.create_index(op.f('ix_inspection_records_round_item_id'), 'inspection_records', ['round_item_id'], unique=False)
    op.create_index('ix_inspection_records_user_submitted', 'inspection_records', ['user_id', 'submitted_at'], unique=False)
    op.create_table('inspection_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('item_label', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=25), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_record_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'awaiting_reinspection', 'closed')", name=op.f('ck_inspection_findings_status')),
    sa.ForeignKeyConstraint(['closed_by_record_id'], ['inspection_records.id'], name=op.f('fk_inspection_findings_closed_by_record_id_inspection_records')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_inspection_findings_compound_id_compounds')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_findings_facility_id_facilities')),
    sa.ForeignKeyConstraint(['record_id'], ['inspection_records.id'], name=op.f('fk_inspection_findings_record_id_inspection_records')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_inspection_findings_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_findings')),
    sa.UniqueConstraint('record_id', 'item_key', name=op.f('uq_inspection_findings_record_id_item_key'))
    )
    op.create_index(op.f('ix_inspection_findings_compound_id'), 'inspection_findings', ['compound_id'], unique=False)
    op.create_index('ix_inspection_findings_facility_status', 'inspection_findings', ['facility_id', 'status'], unique=False)
    op.create_index(op.f('ix_inspection_findings_work_order_id'), 'inspection_findings', ['work_order_id'], unique=False)
    op.create_table('inspection_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('original_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_inspection_photos_facility_id_facilities')),
    sa.ForeignKeyConstraint(['record_id'], ['inspection_records.id'], name=op.f('fk_inspection_photos_record_id_inspection_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos'))
    )
    op.create_index(op.f('ix_inspection_photos_facility_id'), 'inspection_photos', ['facility_id'], unique=False)
    op.create_index(op.f('ix_inspection_photos_record_id'), 'inspection_photos', ['record_id'], unique=False)
    


def downgrade():
    
    op.drop_index(op.f('ix_inspection_photos_record_id'), table_name='inspection_photos')
    op.drop_index(op.f('ix_inspection_photos_facility_id'), table_name='inspection_photos')
    op.drop_table('inspection_photos')
    op.drop_index(op.f('ix_inspection_findings_work_order_id'), table_name='inspection_findings')
    op.drop_index('ix_inspection_findings_facility_status', table_name='inspection_findings')
    op.drop_index(op.f('ix_inspection_findings_compound_id'), table_name='inspection_findings')
    op.drop_table('inspection_findings')
    op.drop_index('ix_inspection_records_user_submitted', table_name='inspection_records')
    op.drop_index(op.f('ix_inspection_records_round_item_id'), table_name='inspection_records')
    op.drop_index(op.f('ix_inspection_records_facility_id'), table_name='inspection_records')
    op.drop_index('ix_inspection_records_compound_submitted', table_name='inspection_records')
    op.drop_table('inspection_records')
    op.drop_index('ix_inspection_scans_user_facility', table_name='inspection_scans')
    op.drop_table('inspection_scans')
    op.drop_index(op.f('ix_inspection_round_items_facility_id'), table_name='inspection_round_items')
    op.drop_table('inspection_round_items')
    op.drop_index(op.f('ix_inspection_plan_stops_plan_id'), table_name='inspection_plan_stops')
    op.drop_index(op.f('ix_inspection_plan_stops_facility_id'), table_name='inspection_plan_stops')
    op.drop_table('inspection_plan_stops')
    op.drop_index('uq_facility_labels_one_live', table_name='facility_labels', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    op.drop_index(op.f('ix_facility_labels_facility_id'), table_name='facility_labels')
    op.drop_table('facility_labels')
    op.drop_index(op.f('ix_inspection_rounds_due_date'), table_name='inspection_rounds')
    op.drop_index(op.f('ix_inspection_rounds_compound_id'), table_name='inspection_rounds')
    op.drop_index(op.f('ix_inspection_rounds_closes_at'), table_name='inspection_rounds')
    op.drop_table('inspection_rounds')
    op.drop_index(op.f('ix_inspection_plan_members_user_id'), table_name='inspection_plan_members')
    op.drop_index(op.f('ix_inspection_plan_members_plan_id'), table_name='inspection_plan_members')
    op.drop_table('inspection_plan_members')
    op.drop_index(op.f('ix_facilities_compound_id'), table_name='facilities')
    op.drop_table('facilities')
    op.drop_index(op.f('ix_inspection_plans_compound_id'), table_name='inspection_plans')
    op.drop_table('inspection_plans')
    op.drop_table('inspection_checklists')
    
