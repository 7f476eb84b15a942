"""Who sees which compound, through pages and the API."""
import pytest

from pm_platform.places import scope


@pytest.mark.parametrize("role, sees_first, sees_second", [
    ("admin", True, True), ("bureau", True, True), ("street", True, False), ("community", True, False),
    ("firm_manager", True, False), ("firm_staff", True, False), ("committee", True, False), ("owner", True, False),
])
def test_compound_list_is_scoped_to_the_role(world, session, client, api, role, sees_first, sees_second):
    headers = api(world.user(session, role))
    names = {c["name"] for c in client.get("/api/v1/compounds", headers=headers).json}
    assert (world.compounds[0].name in names) == sees_first
    assert (world.compounds[1].name in names) == sees_second


def test_reading_another_compounds_units_by_id_is_404(world, session, client, api):
    headers = api(world.user(session, "street", index=0))
    other = world.compounds[1]
    response = client.get(f"/api/v1/compounds/{other.id}/units", headers=headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/compounds/{other.id}", headers=headers).status_code == 404


def test_owner_sees_only_their_own_units(world, session, client, api):
    owner = world.user(session, "owner")
    units = client.get(f"/api/v1/compounds/{world.compounds[0].id}/units", headers=api(owner)).json
    own_unit = world.units[world.compounds[0].id][0]
    assert [u["id"] for u in units] == [own_unit.id]
    assert units[0]["area_m2"] == "89.37" and units[0]["building"] == "1栋"


def test_units_carry_the_contract_fields(world, session, client, api):
    units = client.get(f"/api/v1/compounds/{world.compounds[0].id}/units", headers=api(world.user(session, "community"))).json
    assert len(units) == 3
    assert set(units[0]) == {"id", "building", "entrance", "floor", "room", "area_m2", "use"}


def test_api_refuses_missing_and_revoked_tokens(world, session, client, api):
    user = world.user(session, "admin")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer pmp_nonsense"}).status_code == 401
    headers = api(user)
    me = client.get("/api/v1/me", headers=headers).json
    assert me["username"] == user.username and me["grants"] == [{"role": "admin", "scope": None}]
    for token in user.tokens:
        token.revoked_at = token.created_at
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_firm_scope_follows_the_contract_in_force(world, session):
    manager = world.user(session, "firm_manager")
    visible = set(session.scalars(scope.compound_ids(session, manager)))
    assert visible == {world.compounds[0].id}


def test_create_places_and_compound_through_the_api(world, session, client, api):
    bureau = api(world.user(session, "bureau"))
    street = client.post("/api/v1/places", json={"kind": "street", "name": "新街道", "parent_id": world.district.id}, headers=bureau)
    assert street.status_code == 201, street.json
    community = client.post("/api/v1/places", json={"kind": "community", "name": "新社区", "parent_id": street.json["id"]}, headers=bureau)
    assert community.status_code == 201
    compound = client.post("/api/v1/compounds", json={"name": "新小区", "community_id": community.json["id"], "address": "新路1号"}, headers=bureau)
    assert compound.status_code == 201
    assert compound.json["street_id"] == street.json["id"] and compound.json["district_id"] == world.district.id
    again = client.post("/api/v1/compounds", json={"name": "新小区", "community_id": community.json["id"]}, headers=bureau)
    assert again.status_code == 409


@pytest.mark.parametrize("body, field", [
    ({"kind": "planet", "name": "x", "parent_id": 1}, "kind"),
    ({"kind": "street", "name": "", "parent_id": 1}, "name"),
    ({"kind": "community", "name": "x", "parent_id": 999999}, "parent_id"),
])
def test_bad_place_input_is_a_clear_4xx(world, session, client, api, body, field):
    response = client.post("/api/v1/places", json=body, headers=api(world.user(session, "admin")))
    assert 400 <= response.status_code < 500
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]


def test_street_office_cannot_create_under_another_street(world, session, client, api):
    headers = api(world.user(session, "street", index=0))
    response = client.post("/api/v1/places", json={"kind": "community", "name": "越权社区", "parent_id": world.streets[1].id}, headers=headers)
    assert response.status_code == 404


def test_compound_pages_are_scoped(world, session, login):
    client = login(world.user(session, "community", index=0))
    page = client.get("/compounds")
    assert world.compounds[0].name in page.text and world.compounds[1].name not in page.text
    assert client.get(f"/compounds/{world.compounds[1].id}").status_code == 404
    assert "楼栋" in client.get(f"/compounds/{world.compounds[0].id}").text


def test_who_holds_roles_over_a_compound_in_one_query(session, world):
    """The inverse of a user's compounds (plan members, assignees): the compound's firm's staff,
    its offices and the admin; not another firm's manager, not another street's office."""
    from pm_platform.places import scope
    from tests import factories

    compound = world.compounds[0]
    staff, street, admin = world.user(session, "firm_staff"), world.user(session, "street"), world.user(session, "admin")
    other_street = factories.user(session, "street", "street", world.compounds[1].street_id)
    other_manager = factories.firm_manager_for(session, world.compounds[1])
    held = scope.holders(session, compound.id, {"firm_staff", "firm_manager", "street", "admin"})
    ids = {user.id for user, _ in held}
    assert {staff.id, street.id, admin.id} <= ids and not {other_street.id, other_manager.id} & ids
    assert (staff.id, "firm_staff") in {(user.id, role) for user, role in held}
