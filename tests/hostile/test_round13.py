"""Hostile input, thirteenth round: the general statistics given values that are no real
finite numbers (complex numbers, inf, dates, text) or arguments of the wrong kind, the
careless-respondent thresholds set where no respondent can meet or miss them, SMTP
servers that are no host name, the demo's password file when its write fails; with a
sweep of odd data files, model statements and store commands that were refused well
already.

Before these fixes:

* ``cronbach_alpha()`` and ``item_statistics()`` took complex items and kept their real
  parts without a word (x1 + 5j*x2 gave alpha 0.626, as x1); an item with one inf (or
  1e200) was refused with "fewer than 2 joint observations ... use
  missing='listwise'", also under missing='listwise'.
* ``htmt()`` on an item with one inf cell gave 0.297 for 0.384 (the item's correlations
  became NaN and the ratio was averaged over the other items); ``htmt_ci()`` gave that
  value with an empty interval; 1e200 gave NaN; complex items their real parts.  Data
  with two columns named x1 were "Item(s) must be numeric: x1, x1."
* ``icc()`` read dates as nanoseconds since 1970 (mean squares of 1e28), took inf (ICCs
  of NaN, F of inf) and complex numbers, and ended in an internal ValueError for a cell
  '3,5', for groups of another length or for a frame of two columns, and in a TypeError
  for ``pd.NA`` in an object column.
* ``rwg_j()`` turned a cell '3,3' into a missing answer and left its row out without a
  word; groups of another length ended in a ValueError, a Series of items in an
  AttributeError, ``n_options='7'`` in a TypeError; ``n_options=nan`` made every r_wg(j)
  NaN and ``n_options=7.5`` was used as a scale of 7.5 options.
* ``dependent_correlation_test(0.99, 0.5, 0.0, 100)`` gave t = 4.1 for correlations no
  three variables have (|R| = -0.23; the docstring promised NaN); correlations of 1.5
  or '0.5' and n = 100.7 were taken or ended in a TypeError.
* ``quality_flags()`` (``score(**options)``) flagged every respondent with
  ``max_failed_checks=-1``, none by their answers' spread with ``max_sd=-1`` or
  ``max_sd=nan``, none by speed with ``rsi_threshold=nan`` or ``rsi_clip=0``, counted
  ``missing_check_fails='no'`` as True, and ended in a numpy UFuncTypeError for
  ``rsi_threshold='2'``; ``score(min_valid=2.5)`` scored with 2 items, and NaN, inf or
  a list ended in a ValueError, OverflowError or TypeError.
* ``mail --configure --smtp 'smtp://mail server:25'`` (or a host with a control
  character, '<', a leading '-' or an empty label) was stored, and every later
  ``mail --send`` failed to connect; a port in full-width digits was read as 25.
  ``configure_mail(rate_per_minute=2.5)`` stored 2 and ``True`` 1; NaN, None, an SMTP
  address of None, a sender given as a list and a number as password_env ended in
  internal ValueError, TypeError or AttributeError; a server name of 1,000 characters
  was stored (the command line alone checked its length).  ``send_invitations(rate_per_minute=
  nan)`` ended in a ValueError and ``send_reminders(after_days='7')`` in a TypeError;
  ``after_days=nan`` reminded no one and ``max_reminders=2.5`` was compared as it was.
* ``respondent --correct trust_1=\uff13`` (a full-width 3), Arabic-Indic or other digits
  stored the code 3, while ``--n \uff13`` and the same text in a data file are refused.
* ``score()`` ended in pandas' "cannot reindex on an axis with duplicate labels" for rows
  labelled alike (two waves joined with ``pd.concat``), and in an internal TypeError for
  column names of two levels.
* The demo wrote the study lead's password to a scratch file of the default mode (0644,
  others could read it) before restricting it, and left that file behind when the
  write or the rename failed.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.stats import dyadic, reliability, validity
from tests.hostile._runner import copy_store as _copy
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

CFA = "f =~ x1 + x2 + x3"
TWO = "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6"
PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1"
ITEMS = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS)[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def pairs() -> np.ndarray:
    """Group ids of HS's rows taken two by two (151 groups)."""
    return np.arange(301) // 2


def _with(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    out = frame.astype({column: object if isinstance(value, str) else frame[column].dtype})
    out.loc[row, column] = value
    return out


# -- 1. reliability of items that are no real finite numbers -----------------------------


ODD_ITEMS = {
    "complex": (lambda d: d.assign(x1=d["x1"] + 5j * d["x2"]), "complex numbers"),
    "inf": (lambda d: _with(d, "x1", 5, np.inf), "infinite values"),
    "minus-inf": (lambda d: _with(d, "x2", 7, -np.inf), "infinite values"),
    "1e200": (lambda d: _with(d, "x3", 9, 1e200), r"values larger than 1e\+50"),
}


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
@pytest.mark.parametrize("function", [reliability.cronbach_alpha,
                                      reliability.item_statistics],
                         ids=["cronbach_alpha", "item_statistics"])
@pytest.mark.parametrize("case", list(ODD_ITEMS))
def test_alpha_refuses_items_that_are_no_real_finite_numbers(
        case: str, function, missing: str, hs: pd.DataFrame) -> None:  # noqa: ANN001
    make, expected = ODD_ITEMS[case]
    with pytest.raises(DataError, match=expected) as err:
        function(make(hs)[ITEMS], missing=missing)
    assert "joint observations" not in str(err.value)


def test_alpha_of_plain_items_is_unchanged(hs: pd.DataFrame) -> None:
    res = reliability.cronbach_alpha(hs[ITEMS])
    assert res["raw_alpha"] == pytest.approx(0.6261171318849805, rel=1e-12)
    res = reliability.cronbach_alpha(hs[ITEMS].round().astype("Int64"))
    assert 0.5 < res["raw_alpha"] < 0.7


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
@pytest.mark.parametrize("case", list(ODD_ITEMS))
def test_htmt_refuses_items_that_are_no_real_finite_numbers(case: str, missing: str,
                                                            hs: pd.DataFrame) -> None:
    make, expected = ODD_ITEMS[case]
    with pytest.raises(DataError, match=expected):
        validity.htmt(make(hs), TWO, missing=missing)


def test_htmt_ci_refuses_an_infinite_value(hs: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="infinite values"):
        validity.htmt_ci(_with(hs, "x1", 5, np.inf), TWO, n_boot=20, seed=1)


def test_htmt_names_a_column_named_twice(hs: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="more than one column named 'x1'"):
        validity.htmt(hs.rename(columns={"x7": "x1"}), TWO)


def test_htmt_of_plain_items_is_unchanged(hs: pd.DataFrame) -> None:
    assert validity.htmt(hs, TWO).iloc[0, 1] == pytest.approx(0.38408856391969165,
                                                              rel=1e-12)


# -- 2. icc(): values and groups of the wrong kind ----------------------------------------


ODD_ICC = {
    "dates": (lambda x, g: (pd.Timestamp("2020-01-01") + pd.to_timedelta(x, unit="D"), g),
              "dates or times"),
    "decimal-comma": (lambda x, g: (x.astype(str).str.replace(".", ","), g),
                      "not numbers .*'3,3333333'"),
    "inf": (lambda x, g: (x.where(x.index != 4, np.inf), g), "infinite values"),
    "complex": (lambda x, g: (x.astype(complex) + 1j, g), "complex numbers"),
    "short-groups": (lambda x, g: (x, g[:-1]), "one group id per row"),
    "long-groups": (lambda x, g: (x, np.append(g, 999)), "one group id per row"),
    "two-columns": (lambda x, g: (pd.concat([x, x], axis=1), g), "one value per row"),
}


@pytest.mark.parametrize("case", list(ODD_ICC))
def test_icc_refuses_values_of_the_wrong_kind(case: str, hs: pd.DataFrame,
                                              pairs: np.ndarray) -> None:
    make, expected = ODD_ICC[case]
    values, groups = make(hs["x1"], pairs)
    with pytest.raises(DataError, match=expected):
        dyadic.icc(values, groups)


@pytest.mark.parametrize("make", [
    lambda x: x.round(),
    lambda x: x.round().astype("Int64"),
    lambda x: x.round().astype("category"),
    lambda x: x.round().astype(object),
    lambda x: x.round().tolist(),
], ids=["float", "Int64", "category", "object", "list"])
def test_icc_still_reads_numbers_of_every_kind(make, hs: pd.DataFrame,  # noqa: ANN001
                                               pairs: np.ndarray) -> None:
    assert dyadic.icc(make(hs["x1"]), pairs)["icc1"] == pytest.approx(
        dyadic.icc(hs["x1"].round().to_numpy(), pairs)["icc1"], rel=1e-12)


def test_icc_takes_pd_na_as_missing(hs: pd.DataFrame, pairs: np.ndarray) -> None:
    values = hs["x1"].astype(object).where(hs.index != 3, pd.NA)
    assert dyadic.icc(values, pairs)["n_obs"] == 300


# -- 3. rwg_j(): items, groups and response options of the wrong kind ---------------------


@pytest.mark.parametrize(("make", "kwargs", "expected"), [
    (lambda d, g: (d[["x1", "x2"]].astype(str).replace("3.3333333", "3,3"), g), {},
     "not numbers .*'3,3'"),
    (lambda d, g: (d[["x1", "x2"]], g[:-1]), {}, "one group id per row"),
    (lambda d, g: (d["x1"], g), {}, "one column per item"),
    (lambda d, g: (d[[]], g), {}, "one column per item"),
    (lambda d, g: (d[["x1", "x1"]], g), {}, "more than one column named x1"),
    (lambda d, g: (_with(d, "x1", 2, np.inf)[["x1", "x2"]], g), {}, "infinite values"),
    (lambda d, g: (d[["x1", "x2"]], g), {"n_options": float("nan")}, "whole number"),
    (lambda d, g: (d[["x1", "x2"]], g), {"n_options": 7.5}, "whole number"),
    (lambda d, g: (d[["x1", "x2"]], g), {"n_options": "7"}, "whole number"),
    (lambda d, g: (d[["x1", "x2"]], g), {"n_options": True}, "whole number"),
    (lambda d, g: (d[["x1", "x2"]], g), {"n_options": 1}, "at least"),
], ids=["decimal-comma", "short-groups", "series", "no-items", "twice", "inf",
        "options-nan", "options-7.5", "options-text", "options-true", "options-1"])
def test_rwg_refuses_arguments_of_the_wrong_kind(make, kwargs: dict, expected: str,  # noqa: ANN001
                                                 hs: pd.DataFrame,
                                                 pairs: np.ndarray) -> None:
    items, groups = make(hs, pairs)
    with pytest.raises(DataError, match=expected):
        dyadic.rwg_j(items, groups, **kwargs)


def test_rwg_of_plain_items_is_unchanged(hs: pd.DataFrame, pairs: np.ndarray) -> None:
    plain = dyadic.rwg_j(hs[["x1", "x2"]], pairs)
    again = dyadic.rwg_j(hs[["x1", "x2"]], pd.Series(pairs).astype("string"),
                         n_options=7.0)
    assert plain["rwg_j"].iloc[:3].tolist() == pytest.approx(
        [0.5287356321839081, 0.7228381403041283, 0.9901380670611439], rel=1e-12)
    # text group ids sort as text ('10' before '2'): the same values in another order
    np.testing.assert_allclose(np.sort(again["rwg_j"].dropna()),
                               np.sort(plain["rwg_j"].dropna()), rtol=0, atol=0)


# -- 4. Williams' t for correlations no three variables have -------------------------------


def test_williams_t_is_undefined_for_an_impossible_correlation_matrix() -> None:
    res = dyadic.dependent_correlation_test(0.99, 0.5, 0.0, 100)
    assert np.isnan(res["t"]) and np.isnan(res["pvalue"])
    assert res["df"] == 97


@pytest.mark.parametrize(("args", "expected"), [
    ((1.5, 0.3, 0.2, 100), "between -1 and 1"),
    ((0.5, -1.01, 0.2, 100), "between -1 and 1"),
    (("0.5", 0.3, 0.2, 100), "a correlation"),
    ((0.5, 0.3, None, 100), "a correlation"),
    ((0.5, 0.3, 0.2, 100.7), "whole number"),
    ((0.5, 0.3, 0.2, float("nan")), "whole number"),
    ((0.5, 0.3, 0.2, "100"), "whole number"),
], ids=["r-1.5", "r-below-minus-1", "r-text", "r-none", "n-fraction", "n-nan", "n-text"])
def test_williams_t_refuses_what_is_no_correlation_or_count(args: tuple,
                                                           expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        dyadic.dependent_correlation_test(*args)


def test_williams_t_is_unchanged_for_possible_correlations() -> None:
    res = dyadic.dependent_correlation_test(np.float64(0.5), 0.3, 0.4, np.int64(100))
    assert res["t"] == pytest.approx(2.0649936492350145, rel=1e-12)
    assert np.isnan(dyadic.dependent_correlation_test(np.nan, 0.3, 0.4, 100)["t"])


# -- 5. careless-respondent thresholds no respondent can meet or miss ---------------------


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    from analysis.study.datafiles import read_data

    return read_data(DEMO).head(80)


@pytest.mark.parametrize(("option", "value"), [
    ("max_failed_checks", -1), ("max_failed_checks", "1"), ("max_failed_checks", 0.5),
    ("missing_check_fails", "no"), ("missing_check_fails", 1),
    ("min_run", 2.5), ("min_run", float("inf")), ("min_run", True),
    ("max_sd", -1.0), ("max_sd", float("nan")), ("max_sd", "0"),
    ("rsi_threshold", float("nan")), ("rsi_threshold", "2"), ("rsi_threshold", 0),
    ("rsi_clip", 0), ("rsi_clip", -1.0), ("rsi_clip", float("nan")),
    ("speed_fraction", "0.5"), ("max_missing", None),
])
def test_quality_thresholds_out_of_range_are_refused(option: str, value: object,
                                                     demo: pd.DataFrame) -> None:
    from analysis.study.scoring import score

    with pytest.raises(DataError, match=f"{option}= must"):
        score(demo, **{option: value})


@pytest.mark.parametrize("value", [2.5, "3", float("nan"), float("inf"), [2], True])
def test_min_valid_that_is_no_whole_number_is_refused(value: object,
                                                      demo: pd.DataFrame) -> None:
    from analysis.study.scoring import score

    with pytest.raises(DataError, match="min_valid= must be a whole number"):
        score(demo, min_valid=value)


def test_thresholds_in_range_still_work(demo: pd.DataFrame) -> None:
    from analysis.study.scoring import score

    base = score(demo)
    same = score(demo, min_valid=None, max_failed_checks=0.0, missing_check_fails=np.True_,
                 min_run=np.int64(20), max_sd=0, rsi_threshold=2, rsi_clip=3.0)
    pd.testing.assert_frame_equal(base, same)
    assert score(demo, rsi_threshold=float("inf"), rsi_clip=None)["exclude"].sum() <= \
        base["exclude"].sum()
    assert score(demo, min_valid=10**400)["exclude"].sum() == base["exclude"].sum()


def test_score_takes_rows_labelled_alike(demo: pd.DataFrame) -> None:
    """Two waves joined with pd.concat keep each wave's row labels 0, 1, 2, ..."""
    from analysis.study.scoring import score

    joined = pd.concat([demo.head(40), demo.iloc[40:].reset_index(drop=True)])
    scored = score(joined)
    assert scored.index.equals(joined.index)
    pd.testing.assert_frame_equal(scored.reset_index(drop=True),
                                  score(demo).reset_index(drop=True))


def test_score_refuses_column_names_of_two_levels(demo: pd.DataFrame) -> None:
    from analysis.study.scoring import score

    two = demo.set_axis(pd.MultiIndex.from_arrays([demo.columns, demo.columns]), axis=1)
    with pytest.raises(DataError, match="2 levels"):
        score(two)


# -- 6. SMTP servers that are no host name -------------------------------------------------


BAD_HOSTS = {"space": "smtp://mail server:25", "escaped-space": "smtp://mail%20server:25",
             "control": "smtp://mail\x01server:25", "angle": "smtp://mail<x:25",
             "leading-dash": "smtp://-mail.example.org:25", "empty-label": "smtp://a..b:25",
             "long-label": "smtp://" + "a" * 64 + ".example.org:25"}


@pytest.mark.parametrize("case", list(BAD_HOSTS))
def test_smtp_hosts_that_are_no_host_name(case: str) -> None:
    from instruments.fieldwork.mail import parse_smtp_url

    with pytest.raises(DataError, match="is not a host name or an IP address"):
        parse_smtp_url(BAD_HOSTS[case])


def test_a_port_in_full_width_digits_is_no_port() -> None:
    from instruments.fieldwork.mail import parse_smtp_url

    with pytest.raises(DataError, match="is not a number"):
        parse_smtp_url("smtp://mail.example.org:\uff12\uff15")


@pytest.mark.parametrize(("url", "host"), [
    ("smtp://mail.example.org:25", "mail.example.org"), ("smtp://localhost", "localhost"),
    ("smtps://u@127.0.0.1:465", "127.0.0.1"), ("smtp+starttls://[::1]:587", "::1"),
    ("smtp://b\u00fccher.de:25", "b\u00fccher.de"), ("smtp://mail_relay:25", "mail_relay"),
    ("smtp://MAIL.Example.org.:25", "mail.example.org."),
])
def test_host_names_and_addresses_are_still_taken(url: str, host: str) -> None:
    from instruments.fieldwork.mail import parse_smtp_url

    assert parse_smtp_url(url).host == host


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A response store with study 's' and one invitation (copied by the tests that write)."""
    return invited_store(tmp_path_factory, "round13_store")


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def test_mail_configure_stores_no_server_with_a_space(store: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    db = _copy(store, tmp_path)
    _refused(["mail", "--configure", "--study", "s", "--smtp", "smtp://mail server:25",
              "--sender", "a@b.de", "--lead-name", "Lead", "--lead-email", "lead@uni.de",
              "--base-url", "https://survey.example.org", "--db", f"sqlite:///{db}"],
             "is not a host name", capsys)
    assert _rows(db, "SELECT * FROM study_mail_settings") == []


MAIL = {"smtp": "smtp://mail.example.org:25", "sender": "a@b.de", "lead_name": "Lead",
        "lead_email": "lead@uni.de", "base_url": "https://survey.example.org"}


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"rate_per_minute": float("nan")}, "rate_per_minute= must be a whole number"),
    ({"rate_per_minute": None}, "rate_per_minute= must be a whole number"),
    ({"rate_per_minute": 2.5}, "rate_per_minute= must be a whole number"),
    ({"rate_per_minute": True}, "rate_per_minute= must be a whole number"),
    ({"rate_per_minute": "60"}, "rate_per_minute= must be a whole number"),
    ({"smtp": None}, "SMTP address must be text"),
    ({"sender": ["a@b.de"]}, "sender= must be text"),
    ({"lead_email": 5}, "lead_email= must be text"),
    ({"password_env": 5}, "password_env= must be text"),
    ({"smtp": "smtp://" + "x" * 1000 + ":25"}, "has 1,000 characters; a host name has at most"),
], ids=["rate-nan", "rate-none", "rate-2.5", "rate-true", "rate-text", "smtp-none",
        "sender-list", "lead-email-number", "password-env-number", "host-1000"])
def test_configure_mail_refuses_arguments_of_the_wrong_kind(kwargs: dict, expected: str,
                                                            store: Path,
                                                            tmp_path: Path) -> None:
    from instruments.fieldwork.mail import configure_mail
    from instruments.store import ResponseStore

    db = _copy(store, tmp_path)
    with ResponseStore(f"sqlite:///{db}") as api:
        with pytest.raises(DataError, match=expected):
            configure_mail(api, "s", **{**MAIL, **kwargs})
    assert _rows(db, "SELECT * FROM study_mail_settings") == []


def test_configure_mail_takes_whole_numbers_of_every_kind(store: Path, tmp_path: Path) -> None:
    from instruments.fieldwork.mail import configure_mail
    from instruments.store import ResponseStore

    db = _copy(store, tmp_path)
    with ResponseStore(f"sqlite:///{db}") as api:
        for rate in (np.int64(30), 30.0, 30):
            assert configure_mail(api, "s", **MAIL, rate_per_minute=rate).rate_per_minute == 30


@pytest.mark.parametrize(("function", "kwargs", "expected"), [
    ("send_invitations", {"rate_per_minute": float("nan")}, "rate_per_minute= must be"),
    ("send_invitations", {"rate_per_minute": "5"}, "rate_per_minute= must be"),
    ("send_invitations", {"dry_run": "no"}, "dry_run= must be True or False"),
    ("send_reminders", {"after_days": float("nan")}, "after_days= must be a number"),
    ("send_reminders", {"after_days": "7"}, "after_days= must be a number"),
    ("send_reminders", {"max_reminders": 2.5}, "max_reminders= must be a whole number"),
    ("send_reminders", {"max_reminders": float("nan")}, "max_reminders= must be a whole"),
], ids=["rate-nan", "rate-text", "dry-run-text", "after-nan", "after-text",
        "reminders-2.5", "reminders-nan"])
def test_sending_refuses_arguments_of_the_wrong_kind(function: str, kwargs: dict,
                                                     expected: str, store: Path,
                                                     tmp_path: Path) -> None:
    from instruments.fieldwork import mail
    from instruments.store import ResponseStore

    db = _copy(store, tmp_path)
    with ResponseStore(f"sqlite:///{db}") as api:
        mail.configure_mail(api, "s", **MAIL)
        options = {"dry_run": True, **kwargs}
        with pytest.raises(DataError, match=expected):
            getattr(mail, function)(api, "s", **options)
    assert _rows(db, "SELECT * FROM mail_log") == []


# -- 7. a corrected answer written in other digits ----------------------------------------


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, int]:
    """A SQLite store with one completed response of the packaged questionnaire: the
    file, the invitation id, a coded item it answered and that answer."""
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore
    from tests.ui.survey_bot import plan_answers

    db = tmp_path_factory.mktemp("round13_answered") / "store.sqlite"
    with ResponseStore(f"sqlite:///{db}", instrument=load_instrument()) as store:
        create_study(store, "s")
        inv = create_invitations(store, "s", 1)[0]
        state = store.start(inv.token)
        plan = plan_answers(store, seed=state.seed, rng_seed=4, skip_optional=False)
        for spec in store.pages:
            if spec.id in plan:
                store.submit_page(inv.token, spec.id, plan[spec.id], submission_key=spec.id)
        answers = store.state(inv.token).answers
        item = next(f.id for spec in store.pages for f in spec.fields
                    if f.kind == "coded" and f.id.startswith("trust_") and f.id in answers)
        return db, inv.invitation_id, item, int(answers[item])


@pytest.mark.parametrize("digits", ["\uff13", "\u0663", "\U0001d7d1"],
                         ids=["full-width", "arabic-indic", "math-bold"])
def test_a_correction_in_other_digits_is_refused(digits: str, answered, tmp_path: Path,  # noqa: ANN001
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db, invitation, item, old = answered
    copy = _copy(db, tmp_path)
    new = 3 if old != 3 else 1
    value = digits if new == 3 else {"\uff13": "\uff11", "\u0663": "\u0661",
                                     "\U0001d7d1": "\U0001d7cf"}[digits]
    _refused(["respondent", "--correct", f"{item}={value}", "--study", "s", "--invitation",
              str(invitation), "--reason", "asked by e-mail", "--db", f"sqlite:///{copy}"],
             "written with the digits 0-9", capsys)
    assert _rows(copy, "SELECT * FROM answer_corrections") == []


def test_a_correction_in_digits_0_9_is_still_made(answered, tmp_path: Path,  # noqa: ANN001
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db, invitation, item, old = answered
    copy = _copy(db, tmp_path)
    new = 3 if old != 3 else 1
    assert main(["respondent", "--correct", f"{item}= {new} ", "--study", "s",
                 "--invitation", str(invitation), "--reason", "asked by e-mail", "--db",
                 f"sqlite:///{copy}"]) == 0
    assert f"corrected from {old} to {new}" in capsys.readouterr().err
    assert len(_rows(copy, "SELECT * FROM answer_corrections")) == 1


# -- 8. the demo's password file ----------------------------------------------------------


def test_the_demo_password_file_is_private_and_left_nowhere_on_failure(tmp_path: Path
                                                                       ) -> None:
    from analysis.commands.demo import _write_credentials

    good = tmp_path / "creds.txt"
    _write_credentials(good, "demo", "secret-password-1", ["https://x.example.org/?t=a"])
    assert stat.S_IMODE(good.stat().st_mode) == 0o600
    assert "secret-password-1" in good.read_text(encoding="utf-8")
    # a rename that fails (here: the name is taken by a folder that is not empty)
    blocked = tmp_path / "taken"
    (blocked / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        _write_credentials(blocked, "demo", "secret-password-2", [])
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()
                 and "secret-password-2" in p.read_text(encoding="utf-8")]
    assert leftovers == []


def test_a_stale_demo_scratch_file_does_not_keep_its_mode(tmp_path: Path) -> None:
    from analysis.commands.demo import _write_credentials

    stale = tmp_path / "creds.txt.tmp"
    stale.write_text("old\n", encoding="utf-8")
    stale.chmod(0o644)
    _write_credentials(tmp_path / "creds.txt", "demo", "pw-3", [])
    assert not stale.exists()
    assert stat.S_IMODE((tmp_path / "creds.txt").stat().st_mode) == 0o600


# -- 9. odd data files, model statements and store commands (coverage) ---------------------


def _data_files(root: Path) -> dict[str, Path]:
    hs = pd.read_csv(HS)[[f"x{i}" for i in range(1, 10)]]
    text = hs.to_csv(index=False)
    f: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = root / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        f[name] = path

    put("utf16-no-bom.csv", text.encode("utf-16-le"))
    put("cp1252.csv", text.replace("x1", "x\u20ac1", 1).encode("cp1252"))
    put("all-text.csv", hs.astype(str).map(lambda v: "v" + v).to_csv(index=False))
    put("one-row.csv", hs.head(1).to_csv(index=False))
    put("all-missing.csv", "\n".join([",".join(hs.columns)] + [","] * 0
                                     + ["," * 8] * 40) + "\n")
    put("constant.csv", hs.assign(x1=3.0, x2=3.0, x3=3.0).to_csv(index=False))
    put("nan-text.csv", _with(hs, "x1", 5, "NaN").to_csv(index=False))
    put("dash.csv", _with(hs, "x1", 5, "-").to_csv(index=False))
    put("tabs.csv", hs.to_csv(index=False, sep="\t"))
    put("upper-case.csv", hs.rename(columns=str.upper).to_csv(index=False))
    put("blank-lines.csv", "\n\n\n")
    put("nul-in-header.csv", text.replace("x1", "x\x001", 1))
    put("json.json", hs.to_json())
    (root / "folder.csv").mkdir()
    f["folder.csv"] = root / "folder.csv"
    return f


DATA_CASES = [
    ("utf16-no-bom.csv", "UTF-16 text"), ("cp1252.csv", "not UTF-8 text"),
    ("all-text.csv", "numeric"), ("one-row.csv", ""), ("all-missing.csv", ""),
    ("constant.csv", ""), ("nan-text.csv", "numeric"), ("dash.csv", "numeric"),
    ("tabs.csv", "separated by tabs"), ("upper-case.csv", "x1"),
    ("blank-lines.csv", "it is empty"), ("nul-in-header.csv", "x1"),
    ("json.json", "use a .csv, .parquet or .sav file"), ("folder.csv", "is a folder"),
]


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _data_files(tmp_path_factory.mktemp("round13_data"))


@pytest.mark.parametrize(("command", "model"), [("sem", CFA), ("reliability", TWO),
                                                ("pls", PLS)])
@pytest.mark.parametrize(("name", "expected"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_odd_data_files(command: str, model: str, name: str, expected: str,
                        data_files: dict[str, Path],
                        capsys: pytest.CaptureFixture[str]) -> None:
    _refused([command, str(data_files[name]), "--model", model], expected, capsys)


MODELS = [
    ("ge-on-a-factor", "f =~ x1 + x2 + x3\nf >= 0", "only simple bounds"),
    ("defined-from-itself", "f =~ x1 + a*x2 + x3\nd := d + a", "computed from itself"),
    ("defined-import", "f =~ x1 + a*x2 + x3\nd := __import__('os').getcwd()",
     "Cannot read the expression"),
    ("defined-unknown-function", "f =~ x1 + a*x2 + x3\nd := foo(a)", "unknown function"),
    ("label-starting-with-digit", "f =~ x1 + 1a*x2 + x3", "cannot read the modifier"),
    ("unicode-minus", "f =~ x1 + \u22121*x2 + x3", "cannot read the modifier"),
    ("full-width-equals", "f \uff1d~ x1 + x2 + x3", "not a valid variable name"),
    ("zero-width-space", "f =~ x1 + x\u200b2 + x3", "not a valid variable name"),
    ("byte-order-mark", "\ufefff =~ x1 + x2 + x3", "not a valid variable name"),
    ("start-nan", "f =~ x1 + start(NaN)*x2 + x3", "start() needs numbers"),
    ("fixed-1e400", "f =~ x1 + 1e400*x2 + x3", "too large to be represented"),
    ("formative", "f <~ x1 + x2 + x3", "not supported"),
    ("measured-by-itself", "x1 =~ x1 + x2 + x3", "measured by itself"),
    ("double-plus", "f =~ x1 ++ x2 + x3", "empty term"),
    ("percent-operator", "f =~ x1 + x2 + x3\nx1 %~~% x2", "not a valid variable name"),
    ("two-group-labels", "f =~ x1 + c(a,b)*x2 + x3", "1 groups"),
    ("comment-only", "# nothing", "syntax is empty"),
    ("a-nul", "f =~ x1 + x2\x00 + x3", "empty or not text"),
]


@pytest.mark.parametrize(("case", "model", "expected"), MODELS, ids=[m[0] for m in MODELS])
def test_model_statements(case: str, model: str, expected: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["sem", str(HS), "--model", model], expected, capsys)


STORE_CASES = [
    ("export-unknown-study-look-alike", ["export", "--study", "\u0455", "--format", "csv",
                                         "--out", "{tmp}/e.csv"], "There is no study"),
    ("export-instrument-is-a-file", ["export", "--study", "s", "--format", "codebook",
                                     "--out", "{tmp}/c.csv", "--instrument", str(HS)],
     "is a file"),
    ("export-sav-named-txt", ["export", "--study", "s", "--format", "sav", "--out",
                              "{tmp}/e.txt"], "ends in .txt"),
    ("privacy-completion-code-full-width", ["privacy", "--study", "s", "--completion-code",
                                            "\uff21\uff22\uff23123"], "completion_code="),
    ("privacy-redirect-javascript", ["privacy", "--study", "s", "--redirect-url",
                                     "javascript:alert(1)"], "redirect_url="),
    ("respondent-correct-before-any-answer", ["respondent", "--correct", "trust_1=3",
                                              "--study", "s", "--invitation", "1",
                                              "--reason", "asked"], "nothing to correct"),
    ("respondent-correct-twice", ["respondent", "--correct", "trust_1=3", "--correct",
                                  "trust_1=4", "--study", "s", "--invitation", "1",
                                  "--reason", "asked"], "twice"),
    ("respondent-copy-csv", ["respondent", "--copy", "--study", "s", "--invitation", "1",
                             "--out", "{tmp}/c.csv"], "must end in .json"),
    ("respondent-reason-1mb", ["respondent", "--exclude", "--study", "s", "--invitation", "1",
                               "--reason", "r" * 1_000_000], "at most 500"),
    ("wave-open-existing", ["wave", "--study", "s", "--open", "1"], "already"),
    ("wave-instrument-without-open", ["wave", "--study", "s", "--instrument", "{tmp}"],
     "without --open"),
    ("delete-confirm-look-alike", ["delete", "--study", "s", "--all-responses", "--confirm",
                                   "\u0455"], "Nothing was erased"),
    ("delete-confirm-without-all", ["delete", "--study", "s", "--test-responses",
                                    "--confirm", "s"], "goes with --all-responses"),
    ("invite-partner-100k", ["invite", "--study", "s", "--n", "1", "--partner", "P" * 100_000,
                             "--out", "{tmp}/l.csv"], "at most 300"),
    ("health-timeout-nan", ["health", "--timeout", "nan"], "between 0 and 3600"),
    ("mail-status-with-wave", ["mail", "--status", "--study", "s", "--wave", "2"],
     "no effect with --status"),
]


@pytest.mark.parametrize(("case", "argv", "expected"), STORE_CASES,
                         ids=[c[0] for c in STORE_CASES])
def test_store_commands_refuse_odd_values(case: str, argv: list[str], expected: str,
                                          store: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    tables = ("studies", "waves", "invitations", "study_mail_settings",
              "analysis_exclusions", "answer_corrections", "deletions")
    before = [_rows(db, f"SELECT * FROM {t}") for t in tables]  # noqa: S608
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv] + ["--db", f"sqlite:///{db}"]
    _refused(args, expected, capsys)
    assert [_rows(db, f"SELECT * FROM {t}") for t in tables] == before  # noqa: S608
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("copy.sqlite")] == []
