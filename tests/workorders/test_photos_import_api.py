"""Photos, the 12345 import and the API contract, with its scoping."""
import base64
import io

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import func, select

from pm_platform.core.errors import ValidationError
from pm_platform.workorders import photos
from pm_platform.workorders.hotline import COLUMNS
from pm_platform.workorders.models import WorkOrder, WorkOrderPhoto
from tests.workorders.helpers import jpeg


def test_photos_are_resized_and_the_original_hash_kept():
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(big, "PNG")
    processed = photos.process_photo(big.getvalue())
    assert max(processed.width, processed.height) == photos.LONG_EDGE
    assert Image.open(io.BytesIO(processed.content)).format == "JPEG"
    import hashlib
    assert processed.original_sha256 == hashlib.sha256(big.getvalue()).hexdigest()


@pytest.mark.parametrize("data", [b"%PDF-1.4 not an image", jpeg()[:100], b"\x00" * 10])
def test_not_an_image_is_refused(data):
    with pytest.raises(ValidationError):
        photos.process_photo(data)


def test_too_large_or_too_many_is_refused():
    with pytest.raises(ValidationError, match="larger"):
        photos.process_photo(b"\xff\xd8" + b"0" * (photos.MAX_PHOTO_BYTES + 1))
    with pytest.raises(ValidationError, match="at most 6"):
        photos.process_photos([jpeg()] * 7)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_api_walk_from_report_to_rating(world, session, client, api):
    compound = world.compounds[0]
    resident, manager, repairer = (world.user(session, r) for r in ("owner", "firm_manager", "firm_staff"))
    created = client.post("/api/v1/workorders", headers=api(resident), json={
        "compound_id": compound.id, "category": "water", "description": "<b>漏水</b>",
        "unit_id": world.units[compound.id][0].id, "photos": [b64(jpeg())]})
    assert created.status_code == 201, created.json
    order_id = created.json["id"]
    assert created.json["status"] == "new" and created.json["description"] == "<b>漏水</b>"
    assert session.scalar(select(func.count()).select_from(WorkOrderPhoto)
                          .where(WorkOrderPhoto.work_order_id == order_id)) == 1

    steps = [(manager, {"to": "accepted"}), (manager, {"to": "assigned", "assignee_id": repairer.id}),
             (repairer, {"to": "in_progress"}),
             (repairer, {"to": "resolved", "note": "换阀门", "photos": [b64(jpeg())]})]
    for user, body in steps:
        response = client.post(f"/api/v1/workorders/{order_id}/transitions", headers=api(user), json=body)
        assert response.status_code == 200, response.json
    illegal = client.post(f"/api/v1/workorders/{order_id}/transitions", headers=api(manager), json={"to": "accepted"})
    assert illegal.status_code == 409 and illegal.json["error"]["code"] == "conflict"
    bad_stars = client.post(f"/api/v1/workorders/{order_id}/rating", headers=api(resident), json={"stars": 6})
    assert bad_stars.status_code == 422
    rated = client.post(f"/api/v1/workorders/{order_id}/rating", headers=api(resident), json={"stars": 5})
    assert rated.status_code == 200 and rated.json["status"] == "closed" and rated.json["rating"] == 5
    timeline = [e["kind"] for e in client.get(f"/api/v1/workorders/{order_id}", headers=api(resident)).json["events"]]
    assert timeline == ["created", "accepted", "assigned", "started", "resolved", "closed_confirmed"]

    period = rated.json["closed_at"][:7]
    stats = client.get(f"/api/v1/compounds/{compound.id}/workorder-stats?period={period}", headers=api(manager))
    assert stats.status_code == 200
    assert stats.json["rates"]["satisfaction"] == {"numerator": 10, "denominator": 10}
    assert client.get(f"/api/v1/compounds/{compound.id}/workorder-stats?period={period}",
                      headers=api(resident)).status_code == 403
    assert client.get(f"/api/v1/compounds/{compound.id}/workorder-stats?period=2026-13",
                      headers=api(manager)).status_code == 422


def test_api_scope_residents_and_repairers(world, session, client, api):
    compound = world.compounds[0]
    resident = world.user(session, "owner")
    neighbour = world.user(session, "owner")   # same compound, a different account
    stranger = world.user(session, "owner", index=1)
    repairer = world.user(session, "firm_staff")
    order_id = client.post("/api/v1/workorders", headers=api(resident), json={
        "compound_id": compound.id, "category": "noise", "description": "吵"}).json["id"]
    assert client.get(f"/api/v1/workorders/{order_id}", headers=api(resident)).status_code == 200
    for user in (neighbour, stranger, repairer):
        assert client.get(f"/api/v1/workorders/{order_id}", headers=api(user)).status_code == 404
    elsewhere = client.post("/api/v1/workorders", headers=api(stranger), json={
        "compound_id": compound.id, "category": "noise", "description": "x"})
    assert elsewhere.status_code == 404
    not_an_image = client.post("/api/v1/workorders", headers=api(resident), json={
        "compound_id": compound.id, "category": "noise", "description": "x", "photos": [b64(b"hello")]})
    assert not_an_image.status_code == 422 and not_an_image.json["error"]["field"] == "photos[0]"
    assert client.post("/api/v1/workorders", json={"compound_id": compound.id}).status_code == 401


def ticket_file(rows, header=None) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(header or [c.zh for c in COLUMNS])
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ticket(no, when="2026-11-20 09:30", category="照明", deadline="2026-11-27", compound="", content="楼道灯不亮"):
    return [no, when, "幸福路3号", content, category, deadline, compound, "13900000000"]


def upload(client, headers, data, compound_id=None):
    form = {"file": (io.BytesIO(data), "12345.xlsx")}
    if compound_id is not None:
        form["compound_id"] = str(compound_id)
    return client.post("/api/v1/workorders/imports/12345", headers=headers, data=form,
                       content_type="multipart/form-data")


def test_12345_import_once_and_row_errors_import_nothing(world, session, client, api):
    compound = world.compounds[0]
    office = api(world.user(session, "community"))
    good = ticket_file([ticket("T-1"), ticket("T-2", category="noise", content="广场舞"),
                        ticket("T-1"), ticket("T-3", compound=compound.name, category="road")])
    first = upload(client, office, good, compound.id)
    assert first.status_code == 200, first.json
    assert first.json == {"rows": 4, "created": 3, "joined_open_order": 0, "already_imported": 1}
    t1 = session.scalar(select(WorkOrder).where(WorkOrder.external_ref == "T-1"))
    assert t1.source == "hotline_12345" and t1.category == "lighting"
    assert t1.created_at.strftime("%Y-%m-%d %H:%M") == "2026-11-20 01:30"  # 09:30 Shanghai

    again = upload(client, office, good, compound.id)
    assert again.json["already_imported"] == 4 and again.json["created"] == 0

    bad = ticket_file([ticket("T-9"), ticket("T-10", category="外星人"), ticket("T-11", when="昨天"),
                       ticket("T-12", compound="不存在小区")])
    before = session.scalar(select(func.count()).select_from(WorkOrder))
    refused = upload(client, office, bad, compound.id)
    assert refused.status_code == 422
    rows = refused.json["error"]["rows"]
    assert [(r["row"], r["column"]) for r in rows] == [(3, "category"), (4, "received_at"), (5, "compound")]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == before  # T-9 was not kept

    resident = api(world.user(session, "owner"))
    assert upload(client, resident, good, compound.id).status_code == 403
    assert upload(client, office, b"not a spreadsheet", compound.id).status_code == 422
