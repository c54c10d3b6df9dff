"""Hostile input, sixth round (a helper's fuzz of about 850 command lines): each case
ended in an internal error, exited 0 with a wrong or silently changed result, or changed
the store before it failed.  Each is now refused with one clear message and exit status
2, nothing stored and nothing replaced.

Before these fixes:

* ``sem``/``reliability`` with ``A =~ B`` and ``B =~ A`` (no observed variable) or a loop
  of regressions fixed so that I - B is singular: internal errors (KeyError, LinAlgError).
* ``analyze`` with a dyadic test naming one variable twice: an internal error; with
  ``learning ~ learning``: "not tested" and exit 0; a misspelled control of one hypothesis
  was dropped without a word.
* ``demo --data`` with text in an item, an infinite value, codes out of range, missing
  item columns, a semicolon-separated or an empty file: internal errors or "refused 200",
  after the study, its password file and up to 200 respondents had been stored.
* ``mail --configure --sender-name`` with a line break was stored, and every later send
  stopped in an internal error; ``--after-days 1000000`` was an OverflowError.
* ``password --stdin`` with bytes that are not UTF-8: an internal error.
* ``score`` of a Parquet file with a list in an item cell: an internal error.
* ``--out`` naming a device (``/dev/null``) replaced it by a regular file.
* ``sem --ordered`` on a column with an R-style ``NA``: the categories were ordered as
  text ("1" < "10" < "2" ... with "NA" among them) and the loadings came out as 57.
* ``x ~~ 1e400*x`` fixed the variance at 0; ``x := x + a`` was NaN.
* ``invite`` created the study (and the database file) before it found a wrong
  ``--lang``, ``--from`` file or ``--expires-days``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from tests.hostile.test_cli_more import DEMO, HS
from tests.hostile.test_round7 import _refused

CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"




@pytest.mark.parametrize(("model", "expected"), [
    ("A =~ B\nB =~ A\n", "no observed variable"),
    ("x1 ~ 1*x2\nx2 ~ 1*x1\n", "I - B singular"),
    ("A =~ B + x1 + x2\nB =~ A + x3 + x4\n", "I - B singular"),
    ("f =~ x1 + x2 + x3\nx1 ~~ 1e400*x1\n", "too large to be represented"),
    ("f =~ x1 + a*x2 + x3\nd := d + a\n", "computed from itself"),
    ("f =~ x1 + a*x2 + b*x3\nd := e + a\ne := a*b\n", "'e' (defined after it)"),
])
def test_sem_models_that_cannot_be_fitted(model, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "m.lav"
    path.write_text(model, encoding="utf-8")
    _refused(["sem", str(HS), "--model", str(path)], expected, capsys)


def test_definitions_in_order_still_work(tmp_path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "m.lav"
    path.write_text("f =~ x1 + a*x2 + b*x3\ne := a*b\nd := e + a + 1.5e-3\n")
    assert main(["sem", str(HS), "--model", str(path), "--json", "-"]) == 0
    import json

    est = {r["lhs"]: r["est"] for r in json.loads(capsys.readouterr().out)["estimates"]
           if r["op"] == ":="}
    assert est["d"] == pytest.approx(est["e"] + est.get("a", 0) + 1.5e-3, abs=1) and \
        np.isfinite(est["d"])


def test_ordered_column_mixing_numbers_and_text(tmp_path, capsys) -> None:  # noqa: ANN001
    data = pd.read_csv(HS)
    data["x1"] = pd.cut(data["x1"], 12, labels=False) + 1  # codes 1-12
    text = data.astype({"x1": object})
    text.loc[5, "x1"] = "NA"
    path = tmp_path / "na.csv"
    text.to_csv(path, index=False)
    _refused(["sem", str(path), "--model", "f =~ x1 + x2 + x3", "--ordered", "x1"],
             "mixes numbers with text ('NA'; 1 row)", capsys)
    # numbers read as text are ordered by value: the same fit as the numeric column
    from analysis.sem import sem

    as_text = data.assign(x1=data["x1"].astype(str))
    a = sem("f =~ x1 + x2 + x3", as_text, ordered=["x1"]).params["est"].to_numpy()
    b = sem("f =~ x1 + x2 + x3", data, ordered=["x1"]).params["est"].to_numpy()
    assert np.allclose(a, b)


def test_analyze_hypotheses_naming_a_variable_twice(tmp_path, capsys) -> None:  # noqa: ANN001
    import yaml

    from tests.hostile.test_cli_more import HYPOTHESES

    spec = yaml.safe_load(HYPOTHESES.read_text(encoding="utf-8"))
    for test, method in (("value_creation ~ jd_sum vs jd_sum", "dyadic"),
                         ("learning ~ learning", "sem_path")):
        bad = dict(spec)
        bad["hypotheses"] = [dict(spec["hypotheses"][0], method=method, test=test)]
        path = tmp_path / f"{method}.yaml"
        path.write_text(yaml.safe_dump(bad, sort_keys=False), encoding="utf-8")
        _refused(["analyze", str(DEMO), "--hypotheses", str(path), "--skip-measurement"],
                 "names one variable twice", capsys)


def _demo_args(tmp_path: Path, data: Path) -> list[str]:
    return ["demo", "--db", f"sqlite:///{tmp_path / 'store.sqlite'}", "--data", str(data),
            "--no-serve", "--no-summary", "--credentials", str(tmp_path / "cred.txt")]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.astype({"info_sharing_1": object}).assign(info_sharing_1="seven"),
     "data row 1 holds 'seven' (non-numeric values in"),
    (lambda d: d.assign(info_sharing_6=np.inf), "infinite values"),
    (lambda d: d.assign(info_sharing_1=d["info_sharing_1"] + 100), "codes outside"),
    (lambda d: d.drop(columns=["info_sharing_1"]), "missing columns"),
    (lambda d: d.head(0), "no rows"),
])
def test_demo_data_is_checked_before_anything_is_stored(change, expected, tmp_path,  # noqa: ANN001
                                                          capsys) -> None:
    data = tmp_path / "data.csv"
    change(pd.read_csv(DEMO).head(40)).to_csv(data, index=False)
    _refused(_demo_args(tmp_path, data), expected, capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_demo_semicolon_file(tmp_path, capsys) -> None:  # noqa: ANN001
    data = tmp_path / "data.csv"
    pd.read_csv(DEMO).head(10).to_csv(data, index=False, sep=";")
    _refused(_demo_args(tmp_path, data), "semicolons", capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_mail_names_with_line_breaks_and_days_beyond_the_calendar(tmp_path, capsys) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_study
    from instruments.store import ResponseStore

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = ResponseStore(url)
    create_study(store, "m")
    store.dispose()
    base = ["mail", "--configure", "--study", "m", "--smtp", "smtp://127.0.0.1:2525",
            "--sender", "lead@example.org", "--lead-email", "lead@example.org",
            "--base-url", "https://survey.example.org", "--db", url]
    _refused([*base, "--lead-name", "Lead", "--sender-name", "Lead\r\nBcc: x@y.z"],
             "sender_name= contains a line break", capsys)
    _refused([*base, "--lead-name", "Jana\nLehmann"], "lead_name= contains a line break",
             capsys)
    with sqlite3.connect(tmp_path / "s.sqlite") as con:
        assert con.execute("select count(*) from study_mail_settings").fetchone() == (0,)
    _refused(["mail", "--remind", "--study", "m", "--after-days", "1000000", "--dry-run",
              "--db", url], "between 0 and 36,500 days", capsys)


def test_password_on_stdin_that_is_not_utf8(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    import io
    import sys

    from instruments.fieldwork.invitations import create_study
    from instruments.store import ResponseStore

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = ResponseStore(url)
    create_study(store, "p")
    store.dispose()
    raw = io.TextIOWrapper(io.BytesIO(b"pa\xff\xfess\n"), encoding="utf-8",
                           errors="surrogateescape")
    monkeypatch.setattr(sys, "stdin", raw)
    _refused(["password", "--study", "p", "--stdin", "--db", url], "not valid Unicode",
             capsys)


def test_parquet_with_a_list_in_an_item_cell(tmp_path, capsys) -> None:  # noqa: ANN001
    data = pd.read_csv(DEMO).head(20)
    data["info_sharing_1"] = [[1, 2]] * len(data)
    path = tmp_path / "list.parquet"
    data.to_parquet(path)
    _refused(["score", str(path), "--out", str(tmp_path / "s.csv")],
             "data row 1 holds array([1, 2]) (ndarray) (non-numeric values in 20 rows)",
             capsys)


def test_out_naming_a_device_is_refused(tmp_path, capsys) -> None:  # noqa: ANN001
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    _refused(["codebook", "--out", str(fifo)], "not a regular file", capsys)
    assert fifo.exists() and not fifo.is_file()
    from analysis.errors import DataError
    from analysis.io import atomic_path

    with pytest.raises(DataError, match="not a regular file"), atomic_path(fifo) as tmp:
        tmp.write_text("x")
    assert not fifo.is_file()


@pytest.mark.parametrize(("extra", "expected"), [
    (["--lang", "xx"], "is not offered by instrument"),
    (["--dyads", "2", "--partner", "X"], "cannot name both firms"),
    (["--expires-days", "99999999999"], "between 0 and 36,500 days"),
    (["--from", "{header}"], "the file has no rows"),
])
def test_invite_checks_before_it_creates_the_study(extra, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    header = tmp_path / "header.csv"
    header.write_text("partner_name\n", encoding="utf-8")
    extra = [str(header) if a == "{header}" else a for a in extra]
    db = tmp_path / "s.sqlite"
    _refused(["invite", "--study", "new", "--db", f"sqlite:///{db}", *extra], expected,
             capsys)
    assert not db.exists()


def test_a_misspelled_control_of_one_hypothesis_is_named(tmp_path, capsys) -> None:  # noqa: ANN001
    import json

    import yaml

    from tests.hostile.test_cli_more import HYPOTHESES

    spec = yaml.safe_load(HYPOTHESES.read_text(encoding="utf-8"))
    h = next(x for x in spec["hypotheses"] if x["method"] == "dyadic")
    spec["hypotheses"] = [dict(h, controls=["jd_summ"])]
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert main(["analyze", str(DEMO), "--hypotheses", str(path), "--skip-measurement",
                 "--bootstrap", "20", "--json", "-"]) == 0
    warns = json.loads(capsys.readouterr().out)["warnings"]
    assert any(f"{h['id']}: control variable(s) not in the data, skipped: jd_summ" in w
               for w in warns), warns


def test_smtp_ports_as_written() -> None:
    from analysis.errors import DataError
    from instruments.fieldwork.mail import parse_smtp_url

    assert parse_smtp_url("smtp://mail.example.org").port == 25
    assert parse_smtp_url("smtps://u@mail.example.org").port == 465
    assert parse_smtp_url("smtp://[::1]:2525").port == 2525
    with pytest.raises(DataError, match="between 1 and 65535, not 0"):
        parse_smtp_url("smtp://mail.example.org:0")  # had sent to port 25
    with pytest.raises(DataError, match="between 1 and 65535, not 99999"):
        parse_smtp_url("smtp://mail.example.org:99999")  # had been "not a number"


def test_compare_refuses_fits_of_other_groups(tmp_path, capsys) -> None:  # noqa: ANN001
    import json

    from tests.hostile.test_cli_more import _fit

    one, two = tmp_path / "one.json", tmp_path / "two.json"
    one.write_text(json.dumps(_fit(n=301)))
    two.write_text(json.dumps({**_fit(n=301, df=48.0), "n_per_group": {"a": 150, "b": 151}}))
    _refused(["compare", str(one), str(two)], "different groups (one group; a: 150, b: 151)",
             capsys)


def test_a_model_file_that_is_not_there(capsys) -> None:  # noqa: ANN001
    for cmd in ("sem", "pls"):
        _refused([cmd, str(HS), "--model", "models/nonexist.lav"],
                 "The model file 'models/nonexist.lav' (--model) does not exist", capsys)


def test_audit_notes_and_notice_texts_without_control_characters(tmp_path) -> None:  # noqa: ANN001
    from analysis.errors import DataError
    from instruments.fieldwork.actions import exclude_from_analysis
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from instruments.store.rights import set_settings, withdraw

    store = ResponseStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        create_study(store, "n")
        (inv,) = create_invitations(store, "n", 1)
        with pytest.raises(DataError, match="control character"):
            exclude_from_analysis(store, "n", inv.invitation_id, "bad\x1b[31m")
        with pytest.raises(DataError, match="control character"):
            set_settings(store, "n", purpose="Research\x1b[31m on alliances")
        set_settings(store, "n", purpose="Research on alliances.\nSecond paragraph.")
        store.start(inv.token)
        with pytest.raises(DataError, match="100000 characters; at most 200"):
            withdraw(store, inv.token, reason="request", channel="cli", actor="x" * 100_000)
        assert store.state(inv.token).status != "withdrawn"  # nothing was deleted
    finally:
        store.dispose()
