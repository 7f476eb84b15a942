"""The committee desk's paper-ballot form: units picked from the register, refusals on the form."""
import io
import re

from sqlalchemy import select

from pm_platform.committees import service
from pm_platform.committees.models import PaperBallot
from tests import factories


def options(page: str) -> list[tuple[str, str]]:
    """(value, label) of each option of the paper form's unit picker, in page order."""
    picker = page.split('id="paper-unit_id"')[1].split("</select>")[0]
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', picker)


def post(client, motion_id: int, unit_id, choice="agree"):
    return client.post(f"/motions/{motion_id}/paper", data={
        "paper-unit_id": str(unit_id), "paper-choice": choice, "paper-scan": (io.BytesIO(b"scan"), "scan.jpg")},
        content_type="multipart/form-data")


def test_the_unit_is_picked_from_the_register_in_natural_order(login, session, assembly):
    ten = factories.unit(session, assembly.compound, building="10栋", entrance="1", room="101")
    two = factories.unit(session, assembly.compound, building="2栋", entrance="1", room="101")
    motion = assembly.opened(session)
    page = login(assembly.committee).get(f"/motions/{motion.id}").get_data(as_text=True)
    labels = [label for value, label in options(page) if value]
    assert labels[:2] == ["1栋1单元101", "1栋1单元102"]
    assert labels.index("2栋1单元101") < labels.index("10栋1单元101") == len(labels) - 1
    assert (str(two.id), "2栋1单元101") in options(page) and (str(ten.id), "10栋1单元101") in options(page)
    assert 'name="building"' not in page and 'name="room"' not in page   # no free text to mistype


def test_a_refused_paper_ballot_stays_on_the_form_with_the_reason_and_the_input(login, session, assembly):
    motion = assembly.opened(session)
    service.enter_paper_ballot(session, assembly.committee, motion.id, assembly.units["a1"], "agree", "a.jpg", b"s")
    session.commit()
    client = login(assembly.committee2)
    # alice's second unit: her paper ballot is already in (one owner, one ballot)
    r = post(client, motion.id, assembly.units["a2"], choice="disagree")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="paper-form"' in page
    form = page.split('id="paper-form"')[1].split("</form>")[0]
    assert "该业主的纸质选票已录入" in form and "already been entered" not in form
    assert re.search(rf'<option selected value="{assembly.units["a2"]}"|<option value="{assembly.units["a2"]}" selected',
                     form)
    assert re.search(r'<input checked[^>]*value="disagree"|value="disagree"[^>]*checked', form)
    assert len(session.scalars(select(PaperBallot).where(PaperBallot.motion_id == motion.id)).all()) == 1


def test_a_unit_not_on_the_register_is_a_form_error_not_a_404(login, session, assembly, world):
    motion = assembly.opened(session)
    elsewhere = world.units[world.compounds[0].id][0]   # another compound's unit
    client = login(assembly.committee)
    r = post(client, motion.id, elsewhere.id)
    assert r.status_code == 200 and "不是有效的选择" in r.get_data(as_text=True).split('id="paper-form"')[1]
    r = post(client, motion.id, "")   # nothing chosen
    assert r.status_code == 200 and "请选择房屋" in r.get_data(as_text=True)
    assert session.scalar(select(PaperBallot.id).where(PaperBallot.motion_id == motion.id)) is None
    r = post(client, motion.id, assembly.units["c"])
    assert r.status_code == 302
    assert session.scalar(select(PaperBallot.choice).where(PaperBallot.motion_id == motion.id)) == "agree"


def test_election_candidates_are_picked_from_the_compounds_units(login, session, assembly):
    factories.unit(session, assembly.compound, building="10栋", room="101")   # unsold: nobody to stand
    ten = factories.owner(session, factories.unit(session, assembly.compound, building="10栋", room="102"), name="Eve")
    two = factories.owner(session, factories.unit(session, assembly.compound, building="2栋", room="102"), name="Fay")
    session.commit()
    client = login(assembly.committee)
    page = client.get(f"/compounds/{assembly.compound.id}/motions/new").get_data(as_text=True)
    picker = page.split('id="candidates"')[1].split("</select>")[0]
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", picker)
    # owners' units in natural order; the developer's and the unsold units are not offered
    assert labels == ["1栋1单元101", "1栋1单元102", "1栋1单元201", "1栋1单元401", "2栋1单元102", "10栋1单元102"]
    assert 'name="candidates"' in page and "<textarea" not in picker
    unit_of = {o.ownerships[0].unit.label: o.ownerships[0].unit_id for o in (ten, two)}
    r = client.post(f"/compounds/{assembly.compound.id}/motions/new", data={
        "title": "选举", "body": "", "category": "committee_election", "opens_at": "2030-05-01T09:00",
        "closes_at": "2030-05-08T18:00", "seats": "5", "candidates": [str(unit_of["10栋1单元102"]), str(assembly.units["c"])]})
    assert r.status_code == 302
    from pm_platform.committees.models import Motion
    motion = session.scalar(select(Motion).where(Motion.title == "选举"))
    assert sorted(c.name for c in motion.candidates) == ["Carol", "Eve"]


def test_a_refused_proxy_stays_on_the_form_with_the_reason_and_the_name(login, session, assembly):
    from pm_platform.committees.models import Proxy

    motion = assembly.opened(session)
    client = login(assembly.users["carol"])
    r = client.post(f"/motions/{motion.id}/proxy", data={"holder": "nobody-here",
                                                          "letter": (io.BytesIO(b"%PDF"), "letter.pdf")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    form = page.split('id="proxy"')[1].split("</details>")[0]
    assert form.startswith(" open") and "没有使用该用户名的账号" in form and 'value="nobody-here"' in form
    assert session.scalar(select(Proxy.id).where(Proxy.motion_id == motion.id)) is None
    r = client.post(f"/motions/{motion.id}/proxy", data={"holder": assembly.users["alice"].username,
                                                          "letter": (io.BytesIO(b"%PDF"), "letter.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and session.scalar(select(Proxy.holder_id).where(Proxy.motion_id == motion.id)) == \
        assembly.users["alice"].id
