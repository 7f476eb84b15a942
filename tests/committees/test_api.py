"""The API contract and the pages, as a client and an owner would use them."""
import datetime as dt
import io
import zipfile

import pytest

from pm_platform.core.errors import PermissionDenied

from sqlalchemy import select

from pm_platform.core import clock
from tests import factories


def window(days=3):
    now = clock.now_utc()
    return {"opens_at": (now - dt.timedelta(minutes=1)).isoformat(), "closes_at": (now + dt.timedelta(days=days)).isoformat()}


def test_motion_ballot_receipt_and_tally_over_the_api(client, api, session, assembly, travel):
    committee, alice = api(assembly.committee), api(assembly.users["alice"])
    r = client.post(f"/api/v1/compounds/{assembly.compound.id}/motions", headers=committee,
                    json={"title": "续聘物业", "body": "……", "category": "firm_hiring", **window()})
    assert r.status_code == 201, r.json
    motion_id = r.json["id"]
    r = client.post(f"/api/v1/motions/{motion_id}/ballots", headers=alice, json={"choice": "agree"})
    assert r.status_code == 409 and "not opened" in r.json["error"]["message"]
    r = client.post(f"/api/v1/motions/{motion_id}/open", headers=committee)
    assert r.status_code == 200 and len(r.json["register_hash"]) == 64 and r.json["N"] == 4

    r = client.post(f"/api/v1/motions/{motion_id}/ballots", headers=alice, json={"choice": "agree"})
    assert r.status_code == 201
    receipt = r.json["receipt"]
    for name in ("bob", "developer"):
        assert client.post(f"/api/v1/motions/{motion_id}/ballots", headers=api(assembly.users[name]),
                           json={"choice": "agree"}).status_code == 201

    public = client.get(f"/api/v1/motions/{motion_id}/receipts")   # no token needed
    assert public.status_code == 200
    mine = [row for row in public.json if row["receipt"] == receipt]
    # the area as a band of at least ten voters (here all four: the register is smaller than ten)
    assert mine == [{"receipt": receipt, "area_band_cm2": [6000, 15000], "choice": None, "candidates": None}]
    # no names, no units (searching the text for "101" failed when a receipt code held it)
    assert "Alice" not in public.text
    assert all(set(row) == {"receipt", "area_band_cm2", "choice", "candidates"} for row in public.json)

    assert client.get(f"/api/v1/motions/{motion_id}/tally", headers=alice).status_code == 403  # live count: committee
    live = client.get(f"/api/v1/motions/{motion_id}/tally", headers=committee).json
    assert (live["A_P"], live["N_P"], live["passed"]) == (37000, 3, True)

    travel(dt.timedelta(days=3, minutes=1))
    from pm_platform.committees import service
    service.close_due_motions(session)
    session.commit()
    tally = client.get(f"/api/v1/motions/{motion_id}/tally", headers=alice).json
    assert {k: tally[k] for k in ("A", "N", "A_P", "N_P", "A_yes", "N_yes", "participation_met", "approval_met", "passed")} == {
        "A": 43000, "N": 4, "A_P": 37000, "N_P": 3, "A_yes": 37000, "N_yes": 3,
        "participation_met": True, "approval_met": True, "passed": True}
    assert "> 1/2" in tally["rule"]
    public = client.get(f"/api/v1/motions/{motion_id}/receipts").json
    agreed = [r["area_band_cm2"] for r in public if r["choice"] == "agree"]
    assert len(agreed) == tally["N_yes"]  # anyone can re-count heads and bound the areas
    assert sum(low for low, _ in agreed) <= tally["A_yes"] <= sum(high for _, high in agreed)


def test_bad_ballots_are_refused_with_clear_messages(client, api, session, assembly):
    motion = assembly.opened(session)
    alice = api(assembly.users["alice"])
    r = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=alice, json={"choice": "yes please"})
    assert r.status_code == 422 and r.json["error"]["field"] == "choice"
    r = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=alice, json={"candidates": [1]})
    assert r.status_code == 422
    stranger = factories.user(session, "owner", "compound", assembly.compound.id)
    r = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=api(stranger), json={"choice": "agree"})
    assert r.status_code == 403 and "verify" in r.json["error"]["message"]
    r = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=api(assembly.committee), json={"choice": "agree"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/compounds/{assembly.compound.id}/motions", headers=api(assembly.committee),
                    json={"title": "x", "category": "fund_raising", "opens_at": "2030-01-02T00:00:00", "closes_at": "2030-01-03T00:00:00+08:00"})
    assert r.status_code == 422 and r.json["error"]["field"] == "opens_at"   # a time without its zone


def test_ownership_verification_endpoint(client, api, session, assembly):
    number = factories.id_number()
    unit = factories.unit(session, assembly.compound, room="801")
    owner = factories.owner(session, unit, name="Frank", id_no=number, certificate_no="CERT-801")
    frank = factories.user(session, "street", "street", assembly.compound.street_id)
    session.commit()
    headers = api(frank)
    r = client.post("/api/v1/me/ownership-verifications", headers=headers, json={"id_number": number, "certificate_no": "nope"})
    assert r.status_code == 422 and r.json["error"]["code"] == "no_match"
    r = client.post("/api/v1/me/ownership-verifications", headers=headers, json={"id_number": number, "certificate_no": "cert-801"})
    assert r.status_code == 201 and r.json["owner_id"] == owner.id and r.json["compound_ids"] == [assembly.compound.id]
    motion = assembly.opened(session)
    assert client.post(f"/api/v1/motions/{motion.id}/ballots", headers=headers, json={"choice": "agree"}).status_code == 201


def test_pages_vote_and_public_tally(login, session, assembly):
    motion = assembly.opened(session)
    client = login(assembly.users["carol"])
    page = client.get(f"/motions/{motion.id}")
    assert page.status_code == 200 and motion.register_hash in page.get_data(as_text=True)
    r = client.post(f"/motions/{motion.id}/vote", data={"choice": "disagree"}, follow_redirects=True)
    text = r.get_data(as_text=True)
    receipt = text.split('class="receipt">')[1].split("<")[0]
    public = client.get(f"/motions/{motion.id}/public").get_data(as_text=True)
    assert receipt in public and "Carol" not in public and "60.00" in public


def test_live_count_is_shown_to_the_committee_and_the_evidence_pack_holds_the_register(login, session, assembly):
    from pm_platform.committees import service

    motion = assembly.opened(session)
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    session.commit()
    client = login(assembly.committee)
    assert 'id="live-tally"' in client.get(f"/motions/{motion.id}").get_data(as_text=True)
    pack = zipfile.ZipFile(io.BytesIO(client.get(f"/motions/{motion.id}/evidence.zip").data))
    assert {"motion.json", "register.txt", "ballots.csv", "audit.jsonl"} <= set(pack.namelist())
    import hashlib
    assert hashlib.sha256(pack.read("register.txt")).hexdigest() == motion.register_hash
    assert "ballot.cast" in pack.read("audit.jsonl").decode()
    with pytest.raises(PermissionDenied):   # owners read the public page, not the ballots' metadata
        service.evidence_pack(session, assembly.users["alice"], motion.id)


def test_committee_desk_paper_ballots_and_proxies_on_the_page(login, session, assembly):
    from pm_platform.committees import service
    from pm_platform.committees.models import PaperBallot, Proxy

    motion = assembly.opened(session)
    first = service.enter_paper_ballot(session, assembly.committee, motion.id, assembly.units["a1"], "agree", "a.jpg", b"s")
    proxy = service.submit_proxy(session, assembly.users["carol"], motion.id, assembly.committee.username, "letter.pdf", b"%PDF")
    session.commit()
    client = login(assembly.committee2)
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="desk"' in page and "letter.pdf" in page and "1栋1单元101" in page
    r = client.post(f"/motions/{motion.id}/paper", data={"paper-unit_id": str(assembly.units["b"]), "paper-choice": "disagree",
                                                        "paper-scan": (io.BytesIO(b"scan"), "bob.jpg")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200
    mine = session.scalar(select(PaperBallot).where(PaperBallot.motion_id == motion.id, PaperBallot.id != first.id))
    assert mine.status == "pending" and mine.entered_by_id == assembly.committee2.id
    assert client.post(f"/paper-ballots/{first.id}/confirm", follow_redirects=True).status_code == 200
    assert service.tally(session, motion)["subtotals"]["paper"]["A_P"] == 15000
    assert client.post(f"/paper-ballots/{mine.id}/confirm").status_code == 403   # entered by this member
    client.post(f"/proxies/{proxy.id}/review", data={"accept": "0"})
    assert session.get(Proxy, proxy.id).status == "rejected"


def test_proxy_and_paper_over_the_api(client, api, session, assembly):
    motion = assembly.opened(session)
    holder = factories.user(session, "owner", "compound", assembly.compound.id, username="holder-x")
    r = client.post(f"/api/v1/motions/{motion.id}/proxies", headers=api(assembly.users["carol"]),
                    data={"holder": "holder-x", "letter": (io.BytesIO(b"%PDF"), "letter.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    proxy_id = r.json["id"]
    assert client.post(f"/api/v1/proxies/{proxy_id}/review", headers=api(assembly.committee),
                       json={"accept": True}).json["status"] == "accepted"
    r = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=api(holder), json={"choice": "agree", "proxy_id": proxy_id})
    assert r.status_code == 201 and r.json["channel"] == "proxy"
    r = client.post(f"/api/v1/motions/{motion.id}/paper-ballots", headers=api(assembly.committee),
                    data={"unit_id": str(assembly.units["b"]), "choice": "agree", "scan": (io.BytesIO(b"s"), "b.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 201
    paper_id = r.json["id"]
    r = client.post(f"/api/v1/paper-ballots/{paper_id}/confirm", headers=api(assembly.committee))
    assert r.status_code == 403 and "second" in r.json["error"]["message"]
    r = client.post(f"/api/v1/paper-ballots/{paper_id}/confirm", headers=api(assembly.committee2))
    assert r.status_code == 200 and r.json["counted_receipt"]


def test_meeting_rules_and_objections_over_the_api(client, api, session, assembly, travel):
    committee = api(assembly.committee)
    r = client.post(f"/api/v1/compounds/{assembly.compound.id}/meeting-rules", headers=committee,
                    json={"participation": [3, 5]})
    assert r.status_code == 422 and "never looser" in r.json["error"]["message"]
    r = client.post(f"/api/v1/compounds/{assembly.compound.id}/meeting-rules", headers=committee,
                    json={"participation": [3, 4], "nonvoter_clause": True, "objection_days": 3})
    assert r.status_code == 201 and r.json["version"] == 1 and r.json["participation"] == [3, 4]
    r = client.post(f"/api/v1/compounds/{assembly.compound.id}/meeting-rules", headers=api(assembly.users["alice"]), json={})
    assert r.status_code == 403
    motion = assembly.opened(session)
    assert motion.objection_days == 3
    from pm_platform.committees import service
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    session.commit()
    alice = api(assembly.users["alice"])
    r = client.post(f"/api/v1/motions/{motion.id}/objections", headers=alice, json={"text": "计票有误"})
    assert r.status_code == 409   # not during voting
    travel(dt.timedelta(days=4))
    service.close_due_motions(session)
    session.commit()
    r = client.post(f"/api/v1/motions/{motion.id}/objections", headers=alice, json={"text": "计票有误"})
    assert r.status_code == 201
    travel(dt.timedelta(days=3))
    assert client.post(f"/api/v1/motions/{motion.id}/objections", headers=alice, json={"text": "晚了"}).status_code == 409
    service.finalise_due_motions(session)
    session.commit()
    pack = zipfile.ZipFile(io.BytesIO(service.evidence_pack(session, assembly.committee, motion.id)))
    assert "计票有误" in pack.read("objections.csv").decode() and "announcements/final_notice.pdf" in pack.namelist()


def test_a_refused_verification_is_explained_in_chinese_on_the_page(login, session, assembly):
    r = login(assembly.committee).post("/me/ownership", data={"id_number": "110101199001011234",
                                                               "certificate_no": "京(2020)不动产权第9999号"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "业主名册上没有与该身份证号码和不动产权证书号相符的业主" in page
    assert "no owner on the register" not in page


def test_committee_creates_an_election_on_the_page(login, session, assembly):
    from pm_platform.committees.models import Motion

    client = login(assembly.committee)
    form = {"title": "第二届业委会选举", "body": "", "category": "committee_election", "opens_at": "2030-05-01T09:00",
            "closes_at": "2030-05-08T18:00", "seats": "5", "candidates": [str(assembly.units["a1"]), str(assembly.units["b"])]}
    r = client.post(f"/compounds/{assembly.compound.id}/motions/new", data={**form, "category": "covenant"})
    assert r.status_code == 200 and "只有选举业委会才需填写席位和候选人" in r.get_data(as_text=True)  # the form again
    kept = r.get_data(as_text=True).split('id="candidates"')[1].split("</select>")[0]
    assert f'<option selected value="{assembly.units["a1"]}">1栋1单元101</option>' in kept
    r = client.post(f"/compounds/{assembly.compound.id}/motions/new", data=form)
    assert r.status_code == 302
    motion = session.scalar(select(Motion).where(Motion.title == "第二届业委会选举"))
    assert motion.seats == 5 and [c.name for c in motion.candidates] == ["Alice", "Bob"]
    assert clock.as_utc(motion.opens_at) == dt.datetime(2030, 5, 1, 1, 0, tzinfo=dt.timezone.utc)  # Beijing 09:00


def test_an_uploaded_name_is_never_a_path_in_the_evidence_pack(session, assembly):
    """A letter uploaded as `../../etc/委托书.pdf` lands inside the pack's proxies folder."""
    from pm_platform.committees import service
    motion = assembly.opened(session)
    proxy = service.submit_proxy(session, assembly.users["carol"], motion.id, assembly.committee.username,
                                 "../../etc/委托书.pdf", b"%PDF")
    session.commit()
    names = zipfile.ZipFile(io.BytesIO(service.evidence_pack(session, assembly.committee, motion.id))).namelist()
    assert f"proxies/{proxy.id}-委托书.pdf" in names
    assert not [name for name in names if ".." in name or name.startswith("/")]
