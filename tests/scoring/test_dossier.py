"""The compound dossier (一小区一档案) PDF: the owners' committee terms and the motions put to the
assembly, with their results, beside the scores."""
import datetime as dt
import re
import subprocess

from sqlalchemy import select

from pm_platform.committees import service as committees
from pm_platform.committees.models import CommitteeTerm
from tests.committees.conftest import assembly, travel  # noqa: F401 (fixtures: a compound with a register, a clock)


def pdf_text(tmp_path, pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (table cells wrap where the layout decides)."""
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"\s+", "", text)


def test_the_dossier_lists_the_committee_terms_and_the_motions_with_their_results(
        session, world, assembly, travel, login, tmp_path):
    owners, users = assembly.owners, assembly.users
    election = assembly.opened(session, "committee_election", title="选举第一届业主委员会", seats=5,
                               candidate_owner_ids=[owners["alice"].id, owners["bob"].id, owners["carol"].id])
    alice, bob, carol = (c.id for c in election.candidates)
    covenant = assembly.opened(session, title="修订管理规约")
    for voter, candidates, choice in (("alice", [alice, bob], "agree"), ("developer", [alice, carol], "disagree"),
                                      ("carol", [alice, bob], "disagree")):
        committees.cast_ballot(session, users[voter], election.id, candidates=candidates)
        committees.cast_ballot(session, users[voter], covenant.id, choice=choice)
    travel(dt.timedelta(days=4))
    committees.close_due_motions(session)
    travel(dt.timedelta(days=8))
    committees.finalise_due_motions(session)
    assembly.opened(session, "fund_use", title="使用维修资金更换水泵")
    session.commit()
    term = session.scalar(select(CommitteeTerm).where(CommitteeTerm.motion_id == election.id))

    response = login(world.user(session, "community")).get(f"/scores/compound/{assembly.compound.id}/dossier.pdf")
    assert response.status_code == 200
    text = pdf_text(tmp_path, response.data)
    assert "业主委员会任期" in text and f"{term.starts_on}{term.ends_on}Alice、Bob" in text
    # 350 of 430 m² and 3 of 4 owners took part; the covenant won 150 of those 350 m² and 1 of 3 owners
    assert "选举第一届业主委员会" in text and "通过当选:Alice、Bob81.40%/75.00%—" in text
    assert "修订管理规约" in text and "未通过81.40%/75.00%42.86%/33.33%" in text
    assert "使用维修资金更换水泵" in text and "投票中—" in text  # no running count in a document


def test_a_committee_elected_before_the_platform_is_not_reported_missing(session, world, login, tmp_path):
    """The demo's compound has a committee (its members sign in and run a vote) but no term: the
    committee was not elected on the platform. The dossier said the compound had none."""
    first, second = world.compounds
    chair = world.user(session, "committee")
    chair.display_name = "李主任"
    session.commit()
    client = login(world.user(session, "street"))
    text = pdf_text(tmp_path, client.get(f"/scores/compound/{first.id}/dossier.pdf").data)
    section = text.split("业主委员会任期", 1)[1].split("业主大会表决事项", 1)[0]
    assert "业主委员会已在本平台履职(李主任);其任期不是经本平台选举产生,平台未记录任期起止日期。" in section
    assert "无。" not in section
    other_street = login(world.user(session, "street", 1))
    other = pdf_text(tmp_path, other_street.get(f"/scores/compound/{second.id}/dossier.pdf").data)
    assert "无。" in other.split("业主委员会任期", 1)[1].split("业主大会表决事项", 1)[0]  # no committee there
