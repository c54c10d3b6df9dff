"""A new instrument version enters a running study only as a new wave: the earlier wave's
respondents keep (and resume on) their version, exports name each row's version, and the
analysis pools the waves through the new version's map.  On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import yaml
from sqlalchemy import func, select

from analysis.cli import main
from analysis.errors import DataError, ResponseError
from instruments.fieldwork.exports import export_frame
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.instrument.loader import load_instrument
from instruments.instrument.versions import upgrade_data
from instruments.store import PageValidationError, ResponseStore
from instruments.store.models import Answer, Study, Wave
from instruments.store.waves import open_wave, study_waves
from tests.store.test_exports import bot_answers
from tests.test_instrument_loader import copy_instrument

NEW_TRUST = {
    "en": "{partner} discloses problems to us before we discover them ourselves.",
    "de": "Unser Partner {partner} legt uns Probleme offen, bevor wir sie selbst entdecken.",
}

#: The packaged instrument's version (the first wave of these studies runs it).
PACKAGED = load_instrument().version


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise AssertionError(f"{path.name}: {old!r} not found")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_version(root: Path, version: str, *, rename: bool = True) -> Path:
    """A copy of the packaged instrument as ``version``: trust_1 replaced by trust_6 (a
    different question), and a version map that keeps the packaged version's trust_1 apart.

    Edited as text: parsing and dumping the large translation record with PyYAML would
    take seconds."""
    folder = copy_instrument(root / version)
    _replace(folder / "questionnaire.yaml", f'version: "{PACKAGED}"', f'version: "{version}"')
    if rename:
        trust = load_instrument().scales["trust"].items[0]
        _replace(folder / "scales" / "trust.yaml", "  - id: trust_1\n", "  - id: trust_6\n")
        _replace(folder / "scales" / "trust.yaml", f"en: {trust.text['en']}\n",
                 f"en: \"{NEW_TRUST['en']}\"\n")
        _replace(folder / "scales" / "trust.yaml", f"de: {trust.text['de']}\n",
                 f"de: \"{NEW_TRUST['de']}\"\n")
        record = folder / "translation" / "de.yaml"
        text = record.read_text(encoding="utf-8")
        begin = text.index("  - id: trust_1\n")
        stop = text.index("  - id: ", begin + 1)
        entry = yaml.safe_dump([{
            "id": "trust_6", "source": NEW_TRUST["en"], "target": NEW_TRUST["de"],
            "back_translation": "Our partner reveals problems to us before we find them "
            "ourselves.", "decision": "Same act and referent."}], allow_unicode=True,
            sort_keys=False, width=1000)
        entry = "".join(f"  {line}\n" for line in entry.splitlines())
        record.write_text(text[:begin] + entry + text[stop:], encoding="utf-8")
    # every variable of the packaged version listed, as the packaged map lists every 1.x variable
    listed: dict = {v: {"status": "same"} for v in load_instrument().item_variables()}
    if rename:
        listed["trust_1"] = {"status": "changed", "replaced_by": ["trust_6"],
                             "reason": "Confidentiality is not candour about problems."}
    vmap = {"current": version, "earlier": [{"versions": [PACKAGED], "variables": listed}]}
    (folder / "versions.yaml").write_text(yaml.safe_dump(vmap, sort_keys=False),
                                          encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("versions")
    return load_instrument(), load_instrument(make_version(root, "2.1.0"))


@pytest.fixture(scope="module")
def hostile_versions(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A changed instrument that kept the packaged number, and a 3.0.0 without a map of it."""
    root = tmp_path_factory.mktemp("hostile")
    unmapped = make_version(root, "3.0.0", rename=False)
    (unmapped / "versions.yaml").write_text('current: "3.0.0"\nearlier: []\n', encoding="utf-8")
    return load_instrument(make_version(root, PACKAGED)), load_instrument(unmapped)


def answer_pages(store: ResponseStore, token: str, rng: random.Random, upto: int | None = None,
                 tag: str = "") -> dict[str, object]:  # fmt: skip
    """Answer the token's pages from where it stands, on the store serving its wave."""
    served = store.for_token(token)
    state = store.start(token)
    given = dict(state.answers)
    for page in served.pages[state.current_page:upto]:
        answers = bot_answers(page, rng, given)
        store.submit_page(token, page.id, answers, submission_key=f"{tag}{page.id}")
        given.update({i: v for i, v in answers.items() if v != ""})
    return given


def snapshot(store: ResponseStore) -> tuple:
    with store.session() as s:
        study = s.scalars(select(Study)).all()
        return (
            [(x.name, x.instrument_version, x.instrument_hash) for x in study],
            s.scalars(select(Wave.name).order_by(Wave.id)).all(),
            s.scalar(select(func.count()).select_from(Answer)),
        )


def test_new_wave_keeps_old_respondents_on_their_version(db_url: str, versions) -> None:  # noqa: ANN001
    v200, v210 = versions
    old = ResponseStore(db_url, instrument=v200)
    create_study(old, "panel")
    first, early = (i.token for i in create_invitations(old, "panel", n=2))
    rng = random.Random(5)
    trust_at = next(p.index for p in old.pages if p.field("trust_1") is not None)
    answer_pages(old, first, rng, upto=trust_at - 1, tag="a")  # stops before trust
    old.dispose()

    store = ResponseStore(db_url, instrument=v210, instruments=[v200])
    info = open_wave(store, "panel", "2", v210)
    assert (info.instrument_version, info.n_invitations) == ("2.1.0", 0)
    assert [(w.name, w.instrument_version, w.n_invitations) for w in study_waves(store, "panel")] \
        == [("1", PACKAGED, 2), ("2", "2.1.0", 0)]
    assert store.study_instrument("panel")[1] == "2.1.0"

    # The wave-1 respondent resumes where they stopped, on the packaged version: trust_1 is
    # still theirs.
    served = store.for_token(first)
    assert served.instrument.version == PACKAGED
    assert store.start(first).current_page == trust_at - 1
    given = answer_pages(store, first, rng, upto=trust_at + 1, tag="b")
    assert "trust_1" in given and store.state(first).current_page == trust_at + 1
    # An invitation of wave 1 not yet opened also starts on the packaged version.
    assert store.for_token(early).instrument.version == PACKAGED

    # A wave-2 respondent answers 2.1.0: trust_6 is an item, trust_1 is not.
    new = create_invitations(store, "panel", n=1, wave="2")[0].token
    trust_page = next(p for p in store.pages if p.field("trust_6") is not None)
    answer_pages(store, new, rng, upto=trust_page.index, tag="c")
    bad = bot_answers(trust_page, rng, store.state(new).answers)
    bad["trust_1"] = 4
    with pytest.raises(PageValidationError, match="trust_1"):
        store.submit_page(new, trust_page.id, bad, submission_key="bad")
    second = answer_pages(store, new, rng, upto=trust_page.index + 1, tag="d")
    assert "trust_6" in second and "trust_1" not in second

    wide = store.wide("panel", meta=True)
    rows = wide.set_index("respondent_id")
    r_old, r_new = store.state(first).respondent_id, store.state(new).respondent_id
    assert rows.loc[r_old, "instrument_version"] == PACKAGED
    assert rows.loc[r_new, "instrument_version"] == "2.1.0"
    assert rows.loc[r_old, "wave"] == "1" and rows.loc[r_new, "wave"] == "2"
    assert rows.loc[r_old, "trust_1"] == given["trust_1"] and np.isnan(rows.loc[r_old, "trust_6"])
    assert rows.loc[r_new, "trust_6"] == second["trust_6"] and np.isnan(rows.loc[r_new, "trust_1"])
    shared = next(i for i in ("trust_2", "trust_3", "trust_4") if i in given)
    assert rows.loc[r_old, shared] == given[shared]
    # without meta the version column is there only because the study mixes versions
    assert "instrument_version" in store.wide("panel").columns
    exported = export_frame(store, "panel").set_index("respondent_id")
    assert exported.loc[r_old, "instrument_version"] == PACKAGED
    assert exported.loc[r_new, "instrument_version"] == "2.1.0"

    # Pooled for analysis: trust_2..4 pooled, trust_1 kept apart, never merged into trust_6.
    pooled, notices = upgrade_data(wide, v210)
    prow = pooled.set_index("respondent_id")
    assert np.isnan(prow.loc[r_old, "trust_6"]) and prow.loc[r_old, "trust_1"] == given["trust_1"]
    assert prow.loc[r_new, "trust_6"] == second["trust_6"]
    assert prow.loc[r_old, shared] == given[shared]
    assert any(PACKAGED in n and "trust_1" in n and "kept apart" in n for n in notices), notices
    assert any("trust (3 of 4)" in n for n in notices), "\n".join(notices)
    store.dispose()

    # A server that was not given the packaged version refuses the wave-1 respondent, and
    # stores nothing.
    bare = ResponseStore(db_url, instrument=v210)
    before = snapshot(bare)
    with pytest.raises(ResponseError, match=rf"wave '1'.*version {re.escape(PACKAGED)}.*not accepted"):
        bare.start(early)
    with pytest.raises(DataError, match=re.escape(PACKAGED)):
        bare.wide("panel")
    assert snapshot(bare) == before
    bare.dispose()


def test_hostile_wave_openings_change_nothing(db_url: str, versions,  # noqa: ANN001
                                             hostile_versions) -> None:  # noqa: ANN001
    v200, v210 = versions
    same_number, unmapped = hostile_versions
    store = ResponseStore(db_url, instrument=v200)
    create_study(store, "panel")
    create_invitations(store, "panel", n=1)
    before = snapshot(store)
    cases = [
        ("nowhere", "2", v210, "There is no study 'nowhere'"),
        ("panel", "2", v200, f"runs instrument version {PACKAGED} already"),
        ("panel", "2", same_number, "same number"),
        ("panel", "2", unmapped, f"does not list version {PACKAGED}"),
        ("panel", "1", v210, "has a wave '1' already"),
        ("panel", " ", v210, "must not be empty"),
        ("panel", "2", replace(v210, version="next"), "not a version number"),
    ]
    for study, name, inst, message in cases:
        with pytest.raises(DataError, match=message):
            open_wave(store, study, name, inst)
        assert snapshot(store) == before, message
    open_wave(store, "panel", "2", v210)
    after = snapshot(store)
    with pytest.raises(DataError, match="older than version 2.1.0"):
        open_wave(store, "panel", "3", v200)
    assert snapshot(store) == after
    store.dispose()


def test_unknown_version_rows_refused_when_pooling(versions) -> None:  # noqa: ANN001
    import pandas as pd

    _, v210 = versions
    frame = pd.DataFrame({"respondent_id": [1, 2], "instrument_version": ["2.1.0", "1.9.0"],
                          "trust_2": [3.0, 4.0]})  # fmt: skip
    with pytest.raises(DataError, match="1.9.0.*does not know it"):
        upgrade_data(frame, v210)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_opens_and_lists_waves(tmp_path: Path, versions) -> None:  # noqa: ANN001
    v200, _ = versions
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = ResponseStore(url, instrument=v200)
    create_study(store, "panel")
    create_invitations(store, "panel", n=1)
    store.dispose()
    new_dir = make_version(tmp_path, "2.1.0")
    code, out, err = run(["wave", "--study", "panel", "--open", "2", "--instrument",
                          str(new_dir), "--db", url])  # fmt: skip
    assert code == 0, err
    lines = [line.split("\t")[:4] for line in out.strip().splitlines()]
    assert lines[1:] == [["1", v200.id, PACKAGED, "1"], ["2", v200.id, "2.1.0", "0"]]
    code, _, err = run(["wave", "--study", "panel", "--open", "3", "--db", url])
    assert code == 2 and "older than version 2.1.0" in err and "Traceback" not in err
    code, _, err = run(["wave", "--study", "panel", "--db",
                        f"sqlite:///{tmp_path / 'absent.sqlite'}"])  # fmt: skip
    assert code == 2 and "no response store" in err
    assert not (tmp_path / "absent.sqlite").exists()


def test_migration_gives_existing_waves_their_study_instrument(tmp_path: Path, versions) -> None:  # noqa: ANN001
    from instruments.store.migrate import upgrade

    v200, _ = versions
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = ResponseStore(url, instrument=v200, migrate=False)
    upgrade(store.engine, "0009_hardening")
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO studies (name, instrument_id, instrument_version, instrument_hash, "
            "created_at, failed_logins) VALUES ('p', 'x', '1.2.0', 'h12', '2026-01-01', 0)")
        conn.exec_driver_sql("INSERT INTO waves (study_id, name, created_at) "
                             "VALUES (1, '1', '2026-01-01')")  # fmt: skip
    upgrade(store.engine)
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT instrument_id, instrument_version, instrument_hash FROM waves").one()
    assert tuple(row) == ("x", "1.2.0", "h12")
    store.dispose()


def test_scoring_pools_waves_of_two_versions(versions) -> None:  # noqa: ANN001
    import warnings

    import pandas as pd

    from analysis.study.scoring import InstrumentVersionNotice, score
    from analysis.study.simulate import load_population, simulate_study

    v200, v210 = versions
    pop = load_population()
    early = simulate_study(120, seed=1, instrument=v200, population=pop).assign(
        instrument_version=PACKAGED)
    late = simulate_study(120, seed=2, instrument=v210, population=pop).assign(
        instrument_version="2.1.0")
    late["alliance_id"] = late["alliance_id"].astype(str) + "-2"
    data = pd.concat([early, late], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scored = score(data, v210)
    notices = [str(w.message) for w in caught if w.category is InstrumentVersionNotice]
    assert any(n.startswith(f"120 rows from waves on instrument version {PACKAGED}") and "trust_1" in n
               for n in notices), notices  # fmt: skip
    assert "Scales scored from the items both versions share: trust (3 of 4)." in notices
    # the earlier wave's trust is the mean of the three items both versions share
    shared = [it.id for it in v210.scales["trust"].items if it.id != "trust_6"]
    expected = early[shared].mean(axis=1)
    np.testing.assert_allclose(scored["trust"].iloc[:120].dropna(),
                               expected[scored["trust"].iloc[:120].notna()], rtol=1e-12)
    assert scored["trust"].iloc[:120].notna().mean() > 0.9
