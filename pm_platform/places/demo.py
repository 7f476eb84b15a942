"""Demo places and people, modelled on one district's published 2022 renovation plan:
51 compounds in 10 street offices, 900 buildings, 33,520 households, about 3.05 million m²."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pm_platform.places import service
from pm_platform.places.models import (
    AdminArea, Building, Compound, Owner, Ownership, PropertyFirm, ServiceContract, Unit,
)
from pm_platform.places.roster import _ID_CHECK, _ID_WEIGHTS

DISTRICT = "滨河区"
STREETS = ["东风街道", "朝阳街道", "新华街道", "和平街道", "解放街道",
           "人民街道", "建设街道", "胜利街道", "光明街道", "团结街道"]
COMPOUNDS, BUILDINGS, HOUSEHOLDS, TOTAL_AREA_M2 = 51, 900, 33_520, 3_050_000
STREET_RUN = 3  # the last compounds have no firm: the street runs them (家园事务服务中心)
# `flask demo --size small`: one street of a few compounds, for tests (same kinds of data, every demo login)
SMALL = {"STREETS": STREETS[:1], "COMPOUNDS": 4, "BUILDINGS": 12, "HOUSEHOLDS": 240, "TOTAL_AREA_M2": 21_800,
         "STREET_RUN": 1}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强海燕玉兰建华"
DEMO_PASSWORD = "demo-pass-2026"


def split_total(rng: random.Random, total: int, parts: int, spread: float = 0.5) -> list[int]:
    """Split `total` into `parts` positive integers of varied size that add up exactly."""
    weights = [1 + rng.uniform(-spread, spread) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] += total - sum(sizes)
    return sizes


def demo_id_number(serial: int) -> str:
    """A valid, unique ID number: the birth date and sequence are a one-to-one map of serial."""
    birth = dt.date(1945, 1, 1) + dt.timedelta(days=(serial // 1000) * 37 % 21900)
    body = f"320102{birth:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS))
    return body + _ID_CHECK[total % 11]


def dimensions(size: str = "full") -> dict:
    """The district's size: the module's constants (full), or SMALL."""
    full = {"STREETS": STREETS, "COMPOUNDS": COMPOUNDS, "BUILDINGS": BUILDINGS, "HOUSEHOLDS": HOUSEHOLDS,
            "TOTAL_AREA_M2": TOTAL_AREA_M2, "STREET_RUN": STREET_RUN}
    return {**full, **SMALL} if size == "small" else full


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    d = dimensions(size)
    streets, n_compounds, n_buildings_total, n_households = d["STREETS"], d["COMPOUNDS"], d["BUILDINGS"], d["HOUSEHOLDS"]
    if session.scalar(select(AdminArea.id).where(AdminArea.kind == "district", AdminArea.name == DISTRICT)):
        return "already present"
    district = AdminArea(kind="district", name=DISTRICT)
    session.add(district)
    session.flush()
    communities = []
    for street_name in streets:
        street = AdminArea(kind="street", name=street_name, parent=district)
        session.add(street)
        for n in range(1, 4):
            communities.append(AdminArea(kind="community", name=f"{street_name[:2]}第{n}社区", parent=street))
    session.add_all(communities)
    session.flush()

    compounds = []
    for i in range(n_compounds):
        community = communities[(i * len(communities)) // n_compounds]
        street = community.parent
        compounds.append(Compound(name=f"{street.name[:2]}{['新村', '小区', '花园', '家园', '公寓'][i % 5]}{i + 1}号院",
                                  address=f"{DISTRICT}{street.name[:2]}路{10 + i}号", community_id=community.id,
                                  street_id=street.id, district_id=district.id))
    session.add_all(compounds)
    session.flush()

    buildings_per_compound = split_total(rng, n_buildings_total, n_compounds)
    households_per_compound = split_total(rng, n_households, n_compounds)
    mean_area_cm2 = d["TOTAL_AREA_M2"] * 100 // n_households
    unit_rows, total_area = [], 0
    for compound, n_buildings, n_units in zip(compounds, buildings_per_compound, households_per_compound):
        building_ids = session.scalars(insert(Building).returning(Building.id), [
            {"compound_id": compound.id, "name": f"{b + 1}栋"} for b in range(n_buildings)]).all()
        for b_index, units_here in enumerate(split_total(rng, n_units, n_buildings, 0.3)):
            for k in range(units_here):
                entrance, rest = divmod(k, 12)  # 6 floors × 2 flats per entrance: old walk-ups
                floor, flat = divmod(rest, 2)
                area = max(3500, int(rng.gauss(mean_area_cm2, 1800)))
                total_area += area
                unit_rows.append({"compound_id": compound.id, "building_id": building_ids[b_index],
                                  "entrance": str(entrance + 1), "floor": floor + 1,
                                  "room": f"{floor + 1}0{flat + 1}", "area_cm2": area, "use": "residential"})
    unit_ids = session.scalars(insert(Unit).returning(Unit.id), unit_rows).all()
    unit_compound = [row["compound_id"] for row in unit_rows]

    # Owners: most units one owner; 3% co-owned; 2% owners hold a second unit in the same
    # compound; each compound's developer still holds a few unsold units.
    owner_rows, ownership_rows = [], []
    developer_of = {}
    for compound in compounds:
        credit_code = f"91320102MA{compound.id:07d}X"
        developer_of[compound.id] = len(owner_rows)
        owner_rows.append({"name": f"{compound.name}开发有限公司", "phone": "", "owner_type": "developer",
                           "id_number_hash": service.identity_hash(credit_code),
                           "id_number_masked": service.mask_identity(credit_code)})
    previous_owner = None
    for index, (unit_id, compound_id) in enumerate(zip(unit_ids, unit_compound)):
        roll = rng.random()
        if roll < 0.005:
            ownership_rows.append((unit_id, developer_of[compound_id], True))
            continue
        if roll < 0.025 and previous_owner is not None and previous_owner[1] == compound_id:
            ownership_rows.append((unit_id, previous_owner[0], True))
            continue
        owner_index = len(owner_rows)
        owner_rows.append(_person(rng, index))
        ownership_rows.append((unit_id, owner_index, True))
        previous_owner = (owner_index, compound_id)
        if roll > 0.97:
            spouse_index = len(owner_rows)
            owner_rows.append(_person(rng, index + 500_000))
            ownership_rows.append((unit_id, spouse_index, False))
    owner_ids = session.scalars(insert(Owner).returning(Owner.id), owner_rows).all()
    session.execute(insert(Ownership), [
        {"unit_id": unit_id, "owner_id": owner_ids[owner_index], "is_voter": is_voter}
        for unit_id, owner_index, is_voter in ownership_rows])

    first = compounds[0]
    _demo_firms_and_users(session, district, first, compounds, owner_ids[n_compounds], d["STREET_RUN"])
    return (f"{n_compounds} compounds in {len(streets)} streets, {n_buildings_total} buildings, "
            f"{len(unit_ids)} households, {total_area / 100:,.0f} m², {len(owner_ids)} owners")


def _person(rng: random.Random, serial: int) -> dict:
    id_number = demo_id_number(serial)
    return {"name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
            "phone": f"13{rng.randrange(10**8, 10**9)}", "owner_type": "person",
            "id_number_hash": service.identity_hash(id_number),
            "id_number_masked": service.mask_identity(id_number)}


def _demo_firms_and_users(session: Session, district: AdminArea, first: Compound,
                          compounds: list[Compound], first_person_owner_id: int, street_run: int) -> None:
    start = dt.date(2023, 1, 1)
    firms = []
    for name in ("安居物业服务有限公司", "惠民物业管理有限公司"):
        firm = PropertyFirm(name=name)
        session.add(firm)
        firms.append(firm)
    session.flush()
    # The last compounds have no firm: the street runs them (家园事务服务中心).
    for index, compound in enumerate(compounds[:-street_run]):
        session.add(ServiceContract(firm_id=firms[index * 2 // len(compounds)].id,
                                            compound_id=compound.id, starts_on=start))
    users = [
        ("admin", "admin", None),
        ("bureau", "bureau", f"district:{district.id}"),
        ("street", "street", f"street:{first.street_id}"),
        ("community", "community", f"community:{first.community_id}"),
        ("manager", "firm_manager", f"firm:{firms[0].id}"),
        ("inspector", "firm_staff", f"firm:{firms[0].id}"),
        ("committee", "committee", f"compound:{first.id}"),
        ("owner", "owner", f"compound:{first.id}"),
    ]
    # the names pages show for people (assignment lists, audit, dossiers); the owner's is the owner's own
    names = {"admin": "平台管理员", "bureau": "刘科长", "street": "陈主任", "community": "赵干事",
             "manager": "李经理", "inspector": "王师傅", "committee": "张主任"}
    for username, role, scope_text in users:
        user = service.create_user_with_role(session, username, DEMO_PASSWORD, role, scope_text, names.get(username))
        if role == "owner":
            owner = session.get(Owner, first_person_owner_id)
            owner.user_id, user.display_name = user.id, owner.name
    session.flush()
