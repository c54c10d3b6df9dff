"""Mplus inputs of the exported analysis obey Mplus's syntax rules (Mplus itself is not run).

Rules checked: names of at most 8 characters, unique case-insensitively; lines of at most
90 characters (Mplus ignores the rest of a longer line); every statement of a section
ends with ``;``; the data file has one column per name; every variable a model statement
uses is in USEVARIABLES or is a factor defined with BY.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem.export import MPLUS_LINE, MPLUS_NAME, mplus_model, mplus_names

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "alliance_demo.csv"
SECTIONS = ("TITLE:", "DATA:", "VARIABLE:", "DEFINE:", "ANALYSIS:", "MODEL:",
            "MODEL CONSTRAINT:", "OUTPUT:")


@pytest.fixture(scope="module")
def mplus() -> dict[str, str]:
    from analysis.study.datafiles import read_data
    from analysis.study.export_script import build_study_scripts

    return build_study_scripts(read_data(DEMO), bootstrap=500).mplus


def _sections(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("!"):
            continue
        head = next((s for s in SECTIONS if line.startswith(s)), None)
        if head is not None:
            cur = head
            out[cur] = [line[len(head):]]
        elif cur is not None:
            out[cur].append(line)
    return {k: " ".join(v).strip() for k, v in out.items()}


def _list(sec: str, key: str) -> list[str]:
    m = re.search(rf"{key}\s*=\s*([^;]*);", sec)
    assert m is not None, key
    return m.group(1).split()


def test_every_input_follows_mplus_rules(mplus):
    inputs = {k: v for k, v in mplus.items() if k.endswith(".inp")}
    assert {"measurement.inp", "path_model.inp", "mediation_h4.inp", "moderation_h5.inp",
            "quadratic_h6b.inp", "invariance_h11.inp"} <= set(inputs)
    ncol = {len(line.split()) for line in mplus["alliance_data.dat"].splitlines()}
    for name, text in inputs.items():
        assert all(len(line) <= MPLUS_LINE for line in text.splitlines()), name
        sec = _sections(text)
        for head in ("DATA:", "VARIABLE:", "ANALYSIS:", "MODEL:"):
            assert head in sec, (name, head)
        for head, body in sec.items():
            if head != "TITLE:":
                assert body.endswith(";"), (name, head, body[-40:])
        names = _list(sec["VARIABLE:"], "NAMES")
        assert ncol == {len(names)}, name
        assert all(len(n) <= MPLUS_NAME for n in names), name
        assert len({n.lower() for n in names}) == len(names), name
        use = _list(sec["VARIABLE:"], "USEVARIABLES")
        defined = {s.split("=")[0].strip() for s in sec.get("DEFINE:", "").split(";")
                   if "=" in s and not s.strip().upper().startswith("CENTER")}
        assert set(use) <= set(names) | defined, (name, set(use) - set(names) - defined)
        factors = {s.split()[0] for s in sec["MODEL:"].split(";") if " BY " in s}
        for stmt in sec["MODEL:"].split(";"):
            words = re.sub(r"\([^)]*\)|@[-0-9.eE+]+|\*|\[|\]", " ", stmt).split()
            for w in words:
                if w in ("BY", "ON", "WITH"):
                    continue
                assert w in use or w in factors, (name, w, stmt)


def test_path_model_translation():
    names = mplus_names(["value_creation", "learning", "x", "learning__obs"])
    assert all(len(v) <= MPLUS_NAME for v in names.values())
    assert len(set(names.values())) == 4
    model, constraint = mplus_model(
        "learning =~ 1*learning__obs\nlearning__obs ~~ 0.25*learning__obs\n"
        "value_creation ~ b*learning + x\nind := b*2\n", names)
    lv, obs, vc = names["learning"], names["learning__obs"], names["value_creation"]
    assert model == [f"{lv} BY {obs}@1;", f"{obs}@0.25;", f"{vc} ON {lv} (b);",
                     f"{vc} ON x;"]
    assert constraint == ["NEW(ind);", "ind = b*2;"]


def test_untranslatable_operator_is_a_clear_error():
    with pytest.raises(ModelSpecificationError, match="not translated to Mplus"):
        mplus_model("y ~ x\nx | t1\n", {"x": "x", "y": "y"})
