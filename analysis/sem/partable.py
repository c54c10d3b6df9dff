"""Parameter table (step 2: statements -> lavaan-style parameter table).

The table has lavaan's columns ``id, lhs, op, rhs, user, block, group, free,
ustart, exo, label, plabel, start, est, se`` plus ``xid``: the 0-based index of
the row's parameter in the reduced free-parameter vector ``x`` (``-1`` for
fixed rows).  Rows that share a label, are tied by ``==`` or by
``group_equal`` share an ``xid``.  Defaults follow ``lavaan::sem()`` /
``lavaan::cfa()`` (auto.fix.first or std.lv, auto.fix.single, auto.var, auto.cov.lv.x,
auto.cov.y, auto.th, auto.delta, fixed.x, int.ov.free, int.lv.free = FALSE); covariances
are written in lavaan's variable order (``x9 ~~ x4`` is the row ``x4 ~~ x9``).

# In R: lavaan::lavaanify(model, auto = TRUE, ...); lavaan::parTable(fit)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError

from .syntax import Statement

GROUP_EQUAL_CHOICES = (
    "loadings", "intercepts", "residuals", "residual.covariances", "lv.variances",
    "lv.covariances", "regressions", "means", "thresholds",
)


@dataclass(frozen=True)
class VarNames:
    """Variable roles of a model (lavaan's ``lavNames``)."""

    ov: list[str]
    lv: list[str]
    ov_x: list[str]  # exogenous observed covariates (fixed.x candidates)
    ov_ind: list[str]
    eta_ov: list[str]  # observed variables carried as "observed latent" in the LISREL form


def _unique(seq) -> list[str]:
    seen: dict[str, None] = {}
    for s in seq:
        if s not in seen:
            seen[s] = None
    return list(seen)


def variable_names(stmts: list[Statement]) -> VarNames:
    """Classify variables like lavaan's ``lav_partable_vnames``."""
    model_stmts = [s for s in stmts if s.op in ("=~", "~", "~~", "~1", "|", "~*~")]
    lv = _unique(s.lhs for s in model_stmts if s.op == "=~")
    eqs_y = _unique(s.lhs for s in model_stmts if s.op == "~")
    eqs_x = _unique(s.rhs for s in model_stmts if s.op == "~")
    ind = _unique(s.rhs for s in model_stmts if s.op == "=~")
    ov_ind = [v for v in ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in eqs_y]
    tmp = _unique(ov_ind + ov_y + ov_x)
    extra = [v for s in model_stmts if s.op == "~~" for v in (s.lhs, s.rhs) if v not in lv]
    extra += [s.lhs for s in model_stmts if s.op in ("~1", "|") and s.lhs not in lv]
    ov = _unique(tmp + [v for v in extra if v not in tmp])
    # Observed variables in the structural part live in the eta vector.
    eta_ov = set(v for v in eqs_y + eqs_x if v not in lv)
    changed = True
    while changed:
        changed = False
        for s in model_stmts:
            if s.op == "~~" and s.lhs != s.rhs:
                a, b = s.lhs, s.rhs
                a_eta = a in lv or a in eta_ov
                b_eta = b in lv or b in eta_ov
                if a_eta != b_eta:
                    eta_ov.add(b if a_eta else a)
                    changed = True
    # an indicator that takes part in a regression is carried in eta as well (unit
    # loading, zero residual in Theta); its loadings then sit in B
    eta_list = [v for v in ov if v in eta_ov]
    return VarNames(ov=ov, lv=lv, ov_x=ov_x, ov_ind=ov_ind, eta_ov=eta_list)


#: Terminal escape sequences and invisible characters a column name can carry from a
#: spreadsheet or a console (colour codes, zero-width spaces, byte-order marks).
_INVISIBLE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff]")


def _visible(name: str) -> str:
    return _INVISIBLE.sub("", name)


def similar_names(name: str, columns: list[str]) -> list[str]:
    """Data columns that look like ``name`` (for error messages), also when a column's
    name holds an escape sequence or an invisible character (``x\x1b[31m1`` is shown to a
    reader as x1 in red)."""
    cols = [str(c) for c in columns]
    close = difflib.get_close_matches(name, cols, n=4, cutoff=0.6)
    low = [c for c in cols if c.lower() == name.lower() and c not in close]
    hidden = [c for c in cols if c not in close and c not in low and _visible(c) != c
              and _visible(c).lower() == _visible(name).lower()]
    return hidden + low + close


def _shown(name: str) -> str:
    """A column name as a message shows it: written out (``'x\x1b[31m1'``) when it holds
    characters a terminal would act on or not show, as it is otherwise."""
    return repr(name) if _visible(name) != name else name


def check_unique_columns(ov: Any, data_columns: Any) -> None:
    """Refuse data with two columns of a model variable's name (``data[name]`` would be
    a table, and which column is meant cannot be known)."""
    cols = [str(c) for c in data_columns]
    twice = sorted({v for v in ov if cols.count(v) > 1})
    if twice:
        raise DataError(f"The data have more than one column named "
                        f"{', '.join(map(repr, twice))}; rename or drop all but one.")


def check_variables(ov: list[str], data_columns: list[str] | None) -> None:
    """Raise ``ModelSpecificationError`` naming observed variables missing from the data."""
    if not ov:
        # e.g. "A =~ B" with "B =~ A": every name is a latent variable
        raise ModelSpecificationError(
            "The model has no observed variable: every name in it is a latent variable "
            "(defined by '=~'), so there are no data to fit. Latent variables need observed "
            "indicators (columns of the data), e.g. 'f =~ x1 + x2 + x3'.")
    if data_columns is None:
        return
    cols = [str(c) for c in data_columns]
    check_unique_columns(ov, cols)
    missing = [v for v in ov if v not in cols]
    if missing:
        parts = []
        for v in missing:
            sim = similar_names(v, cols)
            hint = f" (similar columns: {', '.join(map(_shown, sim))})" if sim else ""
            parts.append(f"{v}{hint}")
        raise ModelSpecificationError(
            "The model names variables that are not in data= and are not latent "
            f"(no '=~'): {'; '.join(parts)}. Fix the spelling or add the columns.")


class _Rows:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.index: dict[tuple, int] = {}

    def find(self, lhs: str, op: str, rhs: str, group: int) -> int | None:
        key = (lhs, op, rhs, group)
        if key in self.index:
            return self.index[key]
        if op == "~~":
            return self.index.get((rhs, op, lhs, group))
        return None

    def add(self, **kw) -> int:
        row = dict(lhs=kw["lhs"], op=kw["op"], rhs=kw["rhs"], user=kw.get("user", 0),
                   group=kw["group"], free=kw.get("free", True), ustart=kw.get("ustart", np.nan),
                   exo=kw.get("exo", 0), label=kw.get("label", ""), start_user=kw.get(
                       "start_user", np.nan), line=kw.get("line", 0))
        self.rows.append(row)
        idx = len(self.rows) - 1
        self.index[(row["lhs"], row["op"], row["rhs"], row["group"])] = idx
        return idx


def _pick(values: tuple | None, g: int, ngroups: int, line: int):
    if values is None:
        return None, False
    if len(values) == 1:
        return values[0], True
    if len(values) != ngroups:
        raise ModelSpecificationError(
            f"Line {line}: c(...) has {len(values)} values but the model has {ngroups} groups.")
    return values[g], True


def build_partable(
    stmts: list[Statement],
    *,
    ngroups: int = 1,
    ordered: dict[str, int] | None = None,
    std_lv: bool = False,
    fixed_x: bool = True,
    meanstructure: bool | None = None,
    group_equal: tuple[str, ...] | list[str] = (),
    group_partial: tuple[str, ...] | list[str] = (),
    auto_fix_first: bool | None = None,
    orthogonal: bool = False,
    int_ov_free: bool = True,
    int_lv_free: bool = False,
    parameterization: str = "delta",
    id_cat: str = "lavaan",
) -> tuple[pd.DataFrame, VarNames, bool]:
    """Build the parameter table with lavaan's ``sem()`` defaults.

    Parameters
    ----------
    stmts : list of Statement
        Output of :func:`analysis.sem.syntax.parse_model`.
    ngroups : int
        Number of groups.
    ordered : dict
        Ordered variables mapped to their number of thresholds.
    std_lv : bool
        Identify latent variables by unit (residual) variances instead of the marker loading.
    fixed_x : bool
        Treat exogenous observed covariates' (co)variances and means as fixed at sample values.
    meanstructure : bool or None
        ``None``: only when needed (several groups, ``~1`` in the model, ordered data).
    group_equal : sequence of str
        Parameter types held equal across groups (lavaan's ``group.equal``).
    group_partial : sequence of str
        Parameters (``"f =~ x2"``) exempt from ``group_equal``.
    int_ov_free, int_lv_free : bool
        Whether the automatically added intercepts of observed / latent variables are
        free (lavaan ``int.ov.free``, ``int.lv.free``; ``growth()`` flips both).
        Intercepts written in the model follow their modifiers either way.
    parameterization : {"delta", "theta"}
        Scale of ordered items' latent responses: ``"delta"`` (scale factors ``~*~``
        fixed at 1, residual variances implied) or ``"theta"`` (residual variances
        ``~~`` fixed at 1, scale factors implied).  Decides which of the two the later
        groups free when thresholds are equal.
    id_cat : {"lavaan", "wu.estabrook.2016"}
        How equal thresholds identify the later groups of a multigroup model with
        ordered items.  ``"lavaan"``: lavaan's ``group.equal`` rule (latent means and
        scales free).  ``"wu.estabrook.2016"``: the Wu & Estabrook (2016) sequence of
        ``semTools::measEq.syntax(ID.cat = "Wu.Estabrook.2016")``: equal thresholds
        free the items' intercepts (fixed at 0 again when intercepts are equal too) and
        the scales of items with three or more categories (of binary items only with
        equal intercepts); equal intercepts free the latent means.

    Returns
    -------
    (DataFrame, VarNames, bool)
        Parameter table, variable roles and whether the model has a mean structure.

    Notes
    -----
    # In R: lavaan::lavaanify(model, auto = TRUE, fixed.x = TRUE, ...)
    """
    ordered = dict(ordered or {})
    if parameterization not in ("delta", "theta"):
        raise ModelSpecificationError(
            f"parameterization={parameterization!r} is not known; use 'delta' or 'theta'.")
    if id_cat not in ("lavaan", "wu.estabrook.2016"):
        raise ModelSpecificationError(
            f"id_cat={id_cat!r} is not known; use 'lavaan' or 'wu.estabrook.2016'.")
    bad = [g for g in group_equal if g not in GROUP_EQUAL_CHOICES]
    if bad:
        raise ModelSpecificationError(
            f"Unknown group_equal= entries {bad}; choose from {list(GROUP_EQUAL_CHOICES)}.")
    if auto_fix_first is None:
        auto_fix_first = not std_lv
    names = variable_names(stmts)
    stmts = _covariance_order(stmts, names)
    roles = _roles(stmts, names, ordered, fixed_x)
    if meanstructure is None:
        meanstructure = ngroups > 1 or any(s.op == "~1" for s in stmts) or bool(roles.ov_ord)
    rows = _table_rows(roles, ngroups, ordered, bool(meanstructure), orthogonal)
    _default_status(rows, roles, auto_fix_first, std_lv, int_ov_free, int_lv_free)
    _user_modifiers(rows, roles.model_stmts, ngroups)
    partial = _partial_keys(group_partial, rows) if ngroups > 1 and group_equal else set()
    if ngroups > 1:
        _free_in_later_groups(rows, roles.lv, group_equal, std_lv, ordered,
                              parameterization, id_cat, partial)
    if not rows:
        raise ModelSpecificationError(
            "The model= syntax has no parameters: constraints (==, <, >) and defined "
            "parameters (:=) need formulas with =~, ~ or ~~ to refer to."
        )
    classes = _EqualityClasses(rows)
    classes.tie_labels()
    if ngroups > 1 and group_equal:
        classes.tie_groups(roles.lv, group_equal, partial)
    extra_rows = classes.constraints(stmts)
    return _finish_table(rows, classes, extra_rows), names, bool(meanstructure)


def _covariance_order(stmts: list[Statement], names: VarNames) -> list[Statement]:
    """Write each covariance ``a ~~ b`` with ``a`` first in lavaan's variable order
    (latent variables, then observed ones), as ``lav_partable_covariance_reorder``:
    ``x9 ~~ x4`` becomes the row ``x4 ~~ x9``."""
    order = {v: i for i, v in enumerate(names.lv + [v for v in names.ov if v not in names.lv])}
    out = []
    for s in stmts:
        if (s.op == "~~" and s.lhs != s.rhs and s.lhs in order and s.rhs in order
                and order[s.lhs] > order[s.rhs]):
            s = replace(s, lhs=s.rhs, rhs=s.lhs)
        out.append(s)
    return out


@dataclass(frozen=True)
class _Roles:
    """Variable roles that decide the default rows (lavaan's auto.* options)."""

    lv: list[str]
    ov: list[str]
    ov_ord: list[str]
    ov_x: list[str]
    lv_x: list[str]  # exogenous latent variables: covaried by default
    ov_y: list[str]  # "pure" dependent observed variables: residuals covaried
    lv_y: list[str]
    model_stmts: list[Statement]
    # exogenous observed covariates whose covariances are rows of the table: with fixed.x
    # all of ov_x (fixed at the sample values), without it free_covariates (free)
    ov_xcov: tuple[str, ...] = ()


def free_covariates(stmts: list[Statement], names: VarNames,
                    ordered: dict[str, int]) -> tuple[str, ...]:
    """The exogenous observed covariates: fixed at their sample moments with fixed.x =
    TRUE, with free covariances with fixed.x = FALSE (in the model and in its
    independence model).

    As lavaan's ``lav_partable_vnames``: a covariate the model names in a ``~~`` or
    ``~1`` statement is not an exogenous x; its variance is then a free parameter and its
    covariances are only those stated.
    """
    named = {v for s in stmts if s.op == "~~" for v in (s.lhs, s.rhs)}
    named |= {s.lhs for s in stmts if s.op == "~1"}
    return tuple(v for v in names.ov_x if v not in ordered and v not in named)


def _roles(stmts: list[Statement], names: VarNames, ordered: dict[str, int],
           fixed_x: bool) -> _Roles:
    """Step 1: check the statements against the variables and classify the variables."""
    lv, ov = names.lv, names.ov
    for s in stmts:
        if s.op == "=~" and s.lhs in ov and s.lhs not in lv:
            raise ModelSpecificationError(f"Line {s.line}: {s.lhs!r} is observed and latent.")
        if s.op in ("=~", "~") and s.lhs == s.rhs:
            what = "measured by" if s.op == "=~" else "regressed on"
            raise ModelSpecificationError(f"Line {s.line}: {s.lhs!r} is {what} itself.")
        if s.op == "|" and s.lhs not in ordered:
            raise ModelSpecificationError(
                f"Line {s.line}: thresholds for {s.lhs!r}, which is not in ordered=.")
    ov_ord = [v for v in ov if v in ordered]
    for v in ordered:
        if v not in ov:
            raise ModelSpecificationError(f"ordered= names {v!r}, which is not in the model.")
    # as lavaan: a covariate the model names in a ~~ or ~1 statement is not an exogenous
    # x (its variance is a free parameter) whether fixed.x is TRUE or FALSE
    ov_x = list(free_covariates(stmts, names, ordered)) if fixed_x else []
    model_stmts = [s for s in stmts if s.op in ("=~", "~", "~~", "~1", "|", "~*~")]
    eqs_y = _unique(s.lhs for s in model_stmts if s.op == "~")
    eqs_x = _unique(s.rhs for s in model_stmts if s.op == "~")
    lv_ind = {s.rhs for s in model_stmts if s.op == "=~"}
    # exogenous latent variables: not regressed on anything and not indicators of a factor
    lv_x = [v for v in lv if v not in eqs_y and v not in lv_ind]
    # "pure" dependent variables: appear on the left of ~ but never on the right
    ov_y = [v for v in ov if v in eqs_y and v not in eqs_x and v not in names.ov_ind]
    lv_y = [v for v in lv if v in eqs_y and v not in eqs_x]
    ov_xcov = tuple(ov_x) if fixed_x else free_covariates(stmts, names, ordered)
    return _Roles(lv=lv, ov=ov, ov_ord=ov_ord, ov_x=ov_x, lv_x=lv_x, ov_y=ov_y, lv_y=lv_y,
                  model_stmts=model_stmts, ov_xcov=ov_xcov)


def _table_rows(roles: _Roles, ngroups: int, ordered: dict[str, int], meanstructure: bool,
                orthogonal: bool) -> list[dict]:
    """Step 2: the user's rows and lavaan's default rows, group by group."""
    R = _Rows()
    for g in range(ngroups):
        gid = g + 1
        for s in roles.model_stmts:
            ex = R.find(s.lhs, s.op, s.rhs, gid)
            if ex is not None:
                raise ModelSpecificationError(
                    f"Line {s.line}: the parameter '{s.lhs} {s.op} {s.rhs}' is given twice.")
            R.add(lhs=s.lhs, op=s.op, rhs=s.rhs, group=gid, user=1, line=s.line)
        for f in roles.lv:  # lv variances
            if R.find(f, "~~", f, gid) is None:
                R.add(lhs=f, op="~~", rhs=f, group=gid)
        for v in roles.ov:  # ov (residual) variances
            if R.find(v, "~~", v, gid) is None:
                R.add(lhs=v, op="~~", rhs=v, group=gid)
        for a, b in combinations(roles.lv_x, 2):
            if R.find(a, "~~", b, gid) is None:
                if orthogonal:  # lavaan keeps the rows, fixed at zero
                    R.add(lhs=a, op="~~", rhs=b, group=gid, free=False, ustart=0.0)
                else:
                    R.add(lhs=a, op="~~", rhs=b, group=gid)
        for a, b in combinations(roles.ov_xcov, 2):
            if R.find(a, "~~", b, gid) is None:
                R.add(lhs=a, op="~~", rhs=b, group=gid)
        for a, b in combinations(roles.ov_y + roles.lv_y, 2):
            if R.find(a, "~~", b, gid) is None:
                if orthogonal and a in roles.lv and b in roles.lv:
                    # lavaan's orthogonal = TRUE fixes every default covariance of two
                    # latent variables, the residual covariances of endogenous ones too
                    R.add(lhs=a, op="~~", rhs=b, group=gid, free=False, ustart=0.0)
                else:
                    R.add(lhs=a, op="~~", rhs=b, group=gid)
        if meanstructure:
            for v in roles.ov:
                if R.find(v, "~1", "", gid) is None:
                    R.add(lhs=v, op="~1", rhs="", group=gid)
            for f in roles.lv:
                if R.find(f, "~1", "", gid) is None:
                    R.add(lhs=f, op="~1", rhs="", group=gid)
        for v in roles.ov_ord:
            for k in range(1, ordered[v] + 1):
                if R.find(v, "|", f"t{k}", gid) is None:
                    R.add(lhs=v, op="|", rhs=f"t{k}", group=gid)
        for v in roles.ov_ord:
            if R.find(v, "~*~", v, gid) is None:
                R.add(lhs=v, op="~*~", rhs=v, group=gid)
    return R.rows


def _default_status(rows: list[dict], roles: _Roles, auto_fix_first: bool,
                    std_lv: bool, int_ov_free: bool = True, int_lv_free: bool = False) -> None:
    """Step 3: lavaan's default free/fixed status (markers, fixed.x, ordered scales)."""
    lv, ov, ov_x, ov_ord = roles.lv, roles.ov, roles.ov_x, roles.ov_ord
    single = _single_indicators(roles.model_stmts)
    first_loading: dict[tuple[str, int], int] = {}
    for i, r in enumerate(rows):
        if r["op"] == "=~" and (r["lhs"], r["group"]) not in first_loading:
            first_loading[(r["lhs"], r["group"])] = i
    for i, r in enumerate(rows):
        op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
        if op == "=~" and auto_fix_first and first_loading[(lhs, r["group"])] == i:
            r["free"], r["ustart"] = False, 1.0
        elif (op == "~~" and lhs == rhs and lhs in single and r["user"] == 0
              and lhs not in ov_ord):
            # lavaan's auto.fix.single: the only indicator of a factor measures it
            # without error (its residual variance fixed at 0)
            r["free"], r["ustart"] = False, 0.0
        elif op == "~~" and lhs == rhs and lhs in lv and std_lv:
            r["free"], r["ustart"] = False, 1.0
        elif op == "~~" and lhs in ov_x and rhs in ov_x:
            r["free"], r["exo"] = False, 1
        elif op == "~~" and lhs == rhs and lhs in ov_ord:
            r["free"], r["ustart"] = False, 1.0
        elif op == "~1" and lhs in lv and (r["user"] == 1 or int_lv_free):
            # a latent intercept the user wrote (f ~ 1, f ~ NA*1, f ~ a*1) is free, as in
            # lavaan; only the automatically added ones are fixed at 0 (int.lv.free = FALSE)
            pass
        elif op == "~1" and lhs in lv:
            r["free"], r["ustart"] = False, 0.0
        elif (op == "~1" and not int_ov_free and r["user"] == 0 and lhs in ov
              and lhs not in ov_x and lhs not in ov_ord):
            r["free"], r["ustart"] = False, 0.0
        elif op == "~1" and lhs in ov_x:
            r["free"], r["exo"] = False, 1
        elif op == "~1" and lhs in ov_ord:
            r["free"], r["ustart"] = False, 0.0
        elif op == "~*~":
            r["free"], r["ustart"] = False, 1.0


def _single_indicators(model_stmts: list[Statement]) -> set[str]:
    """Variables that are the single indicator of a factor and indicate no other factor
    (lavaan's ``auto.fix.single``: their residual variance is fixed at 0)."""
    loads = [(s.lhs, s.rhs) for s in model_stmts if s.op == "=~"]
    n_ind: dict[str, int] = {}
    n_fac: dict[str, int] = {}
    for f, v in loads:
        n_ind[f] = n_ind.get(f, 0) + 1
        n_fac[v] = n_fac.get(v, 0) + 1
    return {v for f, v in loads if n_ind[f] == 1 and f != v and n_fac[v] == 1}


def _user_modifiers(rows: list[dict], model_stmts: list[Statement], ngroups: int) -> None:
    """Step 4: the user's modifiers (fixed values, labels, start values) override."""
    stmt_by_key = {(s.lhs, s.op, s.rhs): s for s in model_stmts}
    for r in rows:
        if r["user"] != 1:
            continue
        s = stmt_by_key[(r["lhs"], r["op"], r["rhs"])]
        g = r["group"] - 1
        fixed, has_fixed = _pick(s.modifier.fixed, g, ngroups, s.line)
        if has_fixed:
            if fixed is None:
                r["free"], r["ustart"] = True, np.nan
            else:
                r["free"], r["ustart"], r["exo"] = False, float(fixed), 0
        label, has_label = _pick(s.modifier.label, g, ngroups, s.line)
        if has_label and label:
            r["label"] = label
        start, has_start = _pick(s.modifier.start, g, ngroups, s.line)
        if has_start and start is not None:
            r["start_user"] = float(start)


def _free_in_later_groups(rows: list[dict], lv: list[str], group_equal, std_lv: bool,
                          ordered: dict[str, int], parameterization: str = "delta",
                          id_cat: str = "lavaan",
                          partial: set[tuple[str, str, str]] = frozenset()) -> None:
    """Step 5: lavaan frees latent means, scale factors and latent variances in the later
    groups when the equality constraints identify them (or the Wu & Estabrook 2016
    sequence for ordered items, ``id_cat="wu.estabrook.2016"``; an item intercept left
    out of equal intercepts by ``partial`` stays free, as in semTools::measEq.syntax())."""
    eq_th = "thresholds" in group_equal
    eq_int = "intercepts" in group_equal
    # the scale of an ordered item: its scale factor (delta) or residual variance (theta)
    scale_op = "~*~" if parameterization == "delta" else "~~"
    wu = id_cat == "wu.estabrook.2016"
    for r in rows:
        if r["group"] == 1 or r["user"] == 1:
            continue
        op, lhs = r["op"], r["lhs"]
        is_scale = op == scale_op and lhs == r["rhs"] and lhs in ordered
        if op == "~1" and lhs in lv and "means" not in group_equal:
            if eq_int if wu else (eq_int or eq_th):
                r["free"], r["ustart"] = True, np.nan
        if (wu and op == "~1" and lhs in ordered and eq_th
                and (not eq_int or (lhs, "~1", r["rhs"]) in partial)):
            # equal thresholds fix the item's location: its intercept is identified
            # (and stays free where equal intercepts leave it out)
            r["free"], r["ustart"] = True, np.nan
        if is_scale and eq_th and (not wu or ordered[lhs] >= 2 or eq_int):
            # equal thresholds: the scales are free in the later groups (a binary item's
            # single threshold fixes only its location until the intercepts are equal)
            r["free"], r["ustart"] = True, np.nan
        if (std_lv and op == "~~" and lhs == r["rhs"] and lhs in lv
                and "loadings" in group_equal and "lv.variances" not in group_equal):
            r["free"], r["ustart"] = True, np.nan


def _partial_key(entry: object) -> tuple[str, str, str] | None:
    """One ``group_partial`` entry (``"f =~ x2"``) as an (lhs, op, rhs) key, or ``None``
    when it has no operator."""
    p = str(entry).replace(" ", "")
    for op in ("=~", "~~", "~1", "~", "|"):
        if op in p:
            a, b = p.split(op, 1)
            return (a, op, b)
    return None


def _partial_keys(group_partial, rows: list[dict]) -> set[tuple[str, str, str]]:
    """``group_partial`` entries (``"f =~ x2"``) as (lhs, op, rhs) keys of ``rows``.

    An entry that names no parameter of the model is refused (it would otherwise free
    nothing, silently); ``"b ~~ a"`` is read as the model's ``"a ~~ b"``.
    """
    known = {(r["lhs"], r["op"], r["rhs"]) for r in rows}
    partial = set()
    for entry in group_partial:
        key = _partial_key(entry)
        if key is not None and key[1] == "~~" and key not in known \
                and (key[2], "~~", key[0]) in known:
            key = (key[2], "~~", key[0])
        if key is None or key not in known:
            raise ModelSpecificationError(
                f"group_partial= names {entry!r}, which is not a parameter of the model "
                "(write it as in the parameter table, e.g. 'f =~ x2', 'x2 ~1', 'x2 | t1').")
        partial.add(key)
    return partial


class _EqualityClasses:
    """Step 6: rows that share one parameter (shared labels, ``group_equal``, ``==``),
    kept as a union-find over the table's rows; fixes rows tied to fixed values.

    Works on the rows' columns as plain lists (the table is built as a frame once, at
    the end): this runs at every compile, e.g. for each level of an invariance test.
    """

    def __init__(self, rows: list[dict]) -> None:
        self.n = len(rows)
        self.parent = list(range(self.n))
        self.free = np.array([bool(r["free"]) for r in rows], dtype=bool)
        self.ustart = [r["ustart"] for r in rows]
        self.group = [r["group"] for r in rows]
        self.lhs = [r["lhs"] for r in rows]
        self.op = [r["op"] for r in rows]
        self.rhs = [r["rhs"] for r in rows]
        self.label = [r["label"] for r in rows]
        self.label_rows: dict[str, list[int]] = {}
        for i, lab in enumerate(self.label):
            if lab:
                self.label_rows.setdefault(lab, []).append(i)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def tie_labels(self) -> None:
        """Rows with the same label are one parameter."""
        free, ustart = self.free, self.ustart
        for idx in self.label_rows.values():
            fr = [i for i in idx if free[i]]
            fx = [i for i in idx if not free[i]]
            if fr and fx:
                # a label shared with a fixed row fixes all rows to that value
                val = ustart[fx[0]]
                for i in fr:
                    free[i] = False
                    ustart[i] = val
            for i in fr[1:]:
                self.union(fr[0], i)

    def tie_groups(self, lv: list[str], group_equal, partial: set) -> None:
        """``group_equal``: unlabelled free rows of later groups equal to the first group's."""
        free, n, ustart = self.free, self.n, self.ustart
        group, lhs_col, op_col, rhs_col = self.group, self.lhs, self.op, self.rhs
        label = self.label
        key_g1 = {}
        for i in range(n):
            if group[i] == 1:
                key_g1[(lhs_col[i], op_col[i], rhs_col[i])] = i

        def first_group_row(i: int) -> int | None:
            """The first group's row that ``group_equal`` ties row ``i`` to, if any."""
            lhs, op, rhs = lhs_col[i], op_col[i], rhs_col[i]
            if (lhs, op, rhs) in partial or _equal_kind(lhs, op, rhs, lv) not in group_equal:
                return None
            j = key_g1.get((lhs, op, rhs))
            if j is None and op == "~~":
                j = key_g1.get((rhs, op, lhs))
            return None if j is None or label[j] else j

        # a value fixed in a later group (c(NA, 0.8)*y2) fixes the parameter that
        # group_equal makes equal across groups, in the first group too (lavaan: the
        # rows share one label, and a fixed row fixes all that share its label); left
        # free, the first group's loading was estimated apart, unequal to the others'
        for i in range(n):
            if group[i] == 1 or free[i] or label[i]:
                continue
            j = first_group_row(i)
            if j is not None and free[j]:
                free[j] = False
                ustart[j] = ustart[i]
        for i in range(n):
            if group[i] == 1 or not free[i] or label[i]:
                continue
            j = first_group_row(i)
            if j is None:
                continue
            if free[j]:
                self.union(j, i)
            else:  # tied to a parameter fixed in the first group: fixed here too
                free[i] = False
                ustart[i] = ustart[j]

    def constraints(self, stmts: list[Statement]) -> list[dict]:
        """``==`` ties (or fixes) labels; ``<``/``>`` bounds and ``:=`` definitions become
        rows of their own, returned."""
        free, label_rows, ustart = self.free, self.label_rows, self.ustart
        extra_rows: list[dict] = []
        later = {s.lhs for s in stmts if s.op == ":="}
        var_names = variable_names(stmts)
        model_vars = set(var_names.ov) | set(var_names.lv)
        defined: dict[str, int] = {}  # defined name -> its line
        eq_fixed: dict[int, tuple[float, int]] = {}  # row -> (value, line) of an '=='
        lower: dict[str, tuple[float, int]] = {}  # label -> (bound, line)
        upper: dict[str, tuple[float, int]] = {}
        for s in stmts:
            if s.op not in ("==", "<", ">", ":="):
                continue
            if s.op == ":=":
                if s.lhs in label_rows:
                    raise ModelSpecificationError(
                        f"Line {s.line}: the defined parameter {s.lhs!r} reuses a label.")
                if s.lhs in defined:
                    # lavaan lists both rows with the value of the first
                    raise ModelSpecificationError(
                        f"Line {s.line}: the parameter {s.lhs!r} is already defined on line "
                        f"{defined[s.lhs]}; give each ':=' parameter its own name.")
                if s.lhs in model_vars:
                    kind = ("a latent variable" if s.lhs in var_names.lv
                            else "an observed variable")
                    raise ModelSpecificationError(
                        f"Line {s.line}: the defined parameter {s.lhs!r} has the name of "
                        f"{kind} of the model; give the ':=' parameter a name of its own.")
                defined[s.lhs] = s.line
                later.discard(s.lhs)
                # a definition is computed once, in order: from itself or from one defined
                # after it, it was NaN
                names = set(re.findall(r"(?<![\w.])[A-Za-z_.][\w.]*", s.rhs))
                ahead = sorted(names & (later | {s.lhs}))
                if ahead:
                    what = "itself" if ahead == [s.lhs] else (
                        ", ".join(repr(a) for a in ahead) + " (defined after it"
                        + (", or itself)" if s.lhs in ahead else ")"))
                    raise ModelSpecificationError(
                        f"Line {s.line}: the defined parameter {s.lhs!r} is computed from "
                        f"{what}; define a parameter from labels and from the ':=' lines "
                        "above it.")
                extra_rows.append(dict(lhs=s.lhs, op=":=", rhs=s.rhs, user=1, group=0,
                                       block=0))
                continue
            a, b = s.lhs.strip(), s.rhs.strip()
            ia, ib = label_rows.get(a), label_rows.get(b)
            if s.op == "==":
                va, vb = _num(a), _num(b)
                if ia and ib:
                    fa = [i for i in ia if free[i]]
                    fb = [i for i in ib if free[i]]
                    if fa and fb:
                        self.union(fa[0], fb[0])
                    elif fa or fb:
                        # one side fixed: the other (and all tied to it) takes its value,
                        # as lavaan; the tie was dropped, the other side left free
                        self._fix_class(fa or fb, ustart[(ib if fa else ia)[0]], s, eq_fixed)
                    elif ustart[ia[0]] != ustart[ib[0]]:
                        raise ModelSpecificationError(
                            f"Line {s.line}: {a} == {b} ties {a}, fixed at "
                            f"{ustart[ia[0]]:g}, to {b}, fixed at {ustart[ib[0]]:g}; fix "
                            "them at one value or drop the constraint.")
                elif ia and vb is not None or ib and va is not None:
                    idx, val = (ia, vb) if ia else (ib, va)
                    self._fix_class(idx, val, s, eq_fixed)
                else:
                    unknown = [t for t in (a, b) if t not in label_rows and _num(t) is None]
                    exprs = [t for t in unknown if not _NAME.match(t)]
                    if exprs:
                        why = (f" ({', '.join(repr(t) for t in exprs)} is an expression: "
                               "linear and nonlinear constraints such as 'a + b == 1' or "
                               "'a == b*c' are not fitted by this engine).")
                    elif unknown:
                        why = f" (unknown labels: {', '.join(unknown)})."
                    else:
                        why = "."
                    raise ModelSpecificationError(
                        f"Line {s.line}: only equality constraints between labels (or a "
                        f"label and a number) are supported; cannot use {s.lhs} == {s.rhs}"
                        + why)
                extra_rows.append(dict(lhs=a, op="==", rhs=b, user=1, group=0, block=0))
            else:  # simple bounds: a label and a number
                if not ((ia and _num(b) is not None) or (ib and _num(a) is not None)):
                    defs = [t for t in (a, b) if t in defined or t in later]
                    exprs = [t for t in (a, b) if t not in label_rows and _num(t) is None
                             and not _NAME.match(t)]
                    if defs:
                        why = (f" ({defs[0]} is a defined parameter (:=): bounds on defined "
                               "parameters and expressions are not fitted by this engine; "
                               "bound the labels it is computed from, e.g. a > 0, or drop "
                               "the constraint).")
                    elif exprs:
                        why = (f" ({exprs[0]!r} is an expression: bounds on expressions are "
                               "not fitted by this engine; bound the labels in it, e.g. "
                               "a > 0, or drop the constraint).")
                    else:
                        why = ". Reparameterise the model or drop the constraint."
                    raise ModelSpecificationError(
                        f"Line {s.line}: only simple bounds between a label and a number "
                        f"(a > 0, a < 1) are supported; cannot use {s.lhs} {s.op} {s.rhs}"
                        + why)
                lab, val = (a, _num(b)) if ia else (b, _num(a))
                # a > 1 and 1 < a are lower bounds; a < 0 and 0 > a upper ones
                is_lower = (s.op == ">") == bool(ia)
                bounds, tighter = (lower, max) if is_lower else (upper, min)
                old_bound = bounds.get(lab)
                if old_bound is None or tighter(old_bound[0], val) != old_bound[0]:
                    bounds[lab] = (val, s.line)
                lo, hi = lower.get(lab), upper.get(lab)
                if lo is not None and hi is not None and lo[0] > hi[0]:
                    # the optimiser stopped with an internal error
                    raise ModelSpecificationError(
                        f"Line {s.line}: the bounds on {lab} leave no value: it is to be at "
                        f"least {lo[0]:g} (line {lo[1]}) and at most {hi[0]:g} (line "
                        f"{hi[1]}). Drop or correct one of them.")
                extra_rows.append(dict(lhs=a, op=s.op, rhs=b, user=1, group=0, block=0))
        for lab in sorted(lower.keys() | upper.keys()):
            rows = label_rows[lab]
            if any(free[i] for i in rows):
                continue
            val, lo, hi = ustart[rows[0]], lower.get(lab), upper.get(lab)
            bad = ((lo, "at least") if lo is not None and val < lo[0] else
                   (hi, "at most") if hi is not None and val > hi[0] else None)
            if bad is not None:
                # the optimiser warned that no solution was found (lavaan too)
                raise ModelSpecificationError(
                    f"Line {bad[0][1]}: {lab} is fixed at {val:g}, but its bound asks for "
                    f"{bad[1]} {bad[0][0]:g}; drop the bound or the fixed value.")
        return extra_rows

    def _fix_class(self, idx: list[int], val: float, s: Statement,
                   eq_fixed: dict[int, tuple[float, int]]) -> None:
        """Fix the rows ``idx`` and every free row tied to them (by a shared label, ``==``
        or ``group_equal``) at ``val``; refuse a value another ``==`` gave them."""
        roots = {self.find(i) for i in idx}
        rows = list(idx) + [j for j in range(self.n)
                            if self.free[j] and j not in idx and self.find(j) in roots]
        for j in rows:
            if j in eq_fixed and eq_fixed[j][0] != val:
                name = self.label[j] or f"{self.lhs[j]} {self.op[j]} {self.rhs[j]}"
                raise ModelSpecificationError(
                    f"Line {s.line}: {s.lhs} == {s.rhs} contradicts line {eq_fixed[j][1]}, "
                    f"which fixed {name} at {eq_fixed[j][0]:g}; fix a label (and the labels "
                    "tied to it by ==) at one value.")
        for j in rows:
            self.free[j] = False
            self.ustart[j] = val
            eq_fixed.setdefault(j, (val, s.line))

    def xid(self) -> np.ndarray:
        """0-based parameter index of each free row (-1 for fixed rows), in row order."""
        roots: dict[int, int] = {}
        xid = np.full(self.n, -1, dtype=int)
        for i in range(self.n):
            if self.free[i]:
                r = self.find(i)
                if r not in roots:
                    roots[r] = len(roots)
                xid[i] = roots[r]
        return xid


def _finish_table(rows: list[dict], classes: _EqualityClasses,
                  extra_rows: list[dict]) -> pd.DataFrame:
    """Step 7: lavaan's ``free`` numbering, ``xid``, the constraint rows, column order."""
    n, free = classes.n, classes.free
    free_col = np.zeros(n, dtype=int)
    free_col[free] = np.arange(1, int(free.sum()) + 1)
    xid = classes.xid()
    m = len(extra_rows)
    ex_op = [r["op"] for r in extra_rows]
    ex_lhs = [r["lhs"] for r in extra_rows]
    nan = float("nan")
    cols = {
        "id": np.arange(1, n + m + 1, dtype=np.int64),
        "lhs": classes.lhs + ex_lhs,
        "op": classes.op + ex_op,
        "rhs": classes.rhs + [r["rhs"] for r in extra_rows],
        "user": np.array([r["user"] for r in rows] + [r["user"] for r in extra_rows],
                         dtype=np.int64).reshape(-1),
        "block": np.array(classes.group + [r["block"] for r in extra_rows],
                          dtype=np.int64).reshape(-1),
        "group": np.array(classes.group + [r["group"] for r in extra_rows],
                          dtype=np.int64).reshape(-1),
        "free": np.concatenate([free_col, np.zeros(m, dtype=int)]).astype(np.int64),
        "ustart": np.array(classes.ustart + [nan] * m, dtype=float).reshape(-1),
        "exo": np.array([r["exo"] for r in rows] + [0] * m, dtype=np.int64).reshape(-1),
        # lavaan labels := rows with their name
        "label": classes.label + [lhs if op == ":=" else "" for lhs, op in
                                  zip(ex_lhs, ex_op, strict=True)],
        "plabel": [f".p{i}." for i in range(1, n + 1)] + [""] * m,
        "start": np.full(n + m, nan),
        "est": np.full(n + m, nan),
        "se": np.full(n + m, nan),
        "xid": np.concatenate([xid, np.full(m, -1)]).astype(np.int64),
        "start_user": np.array([r["start_user"] for r in rows] + [nan] * m,
                               dtype=float).reshape(-1),
    }
    return pd.DataFrame(cols)


_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def _num(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def _equal_kind(lhs: str, op: str, rhs: str, lv: list[str]) -> str:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "|":
        return "thresholds"
    if op == "~1":
        return "means" if lhs in lv else "intercepts"
    if op == "~~":
        if lhs == rhs:
            return "lv.variances" if lhs in lv else "residuals"
        return "lv.covariances" if lhs in lv else "residual.covariances"
    return ""
