"""Defined parameters (``:=``) and the standardized solution.

# In R: lavaan::standardizedSolution(fit); lavaan::parameterEstimates(fit)
"""

from __future__ import annotations

import ast
import re
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import special

from analysis.errors import ModelSpecificationError

from .model import CompiledModel

_NAME = re.compile(r"(?<![0-9A-Za-z_.])[A-Za-z_.][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"^\.?\d")
_FUNCS = MappingProxyType({"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs,
                           # R's normal distribution functions (probit effects)
                           "pnorm": special.ndtr, "qnorm": special.ndtri,
                           "dnorm": lambda v: np.exp(-0.5 * v * v) / np.sqrt(2.0 * np.pi)})
_BINOPS = MappingProxyType({ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                            ast.Div: np.divide, ast.Pow: np.power})


#: Most operations nested in one ``:=`` expression (a sum of n terms nests n - 1): a sum
#: of 5,000 labels ended ``sem`` in "internal error (RecursionError ...)".
MAX_EXPRESSION_DEPTH = 250


def _too_deep(expr: str) -> ModelSpecificationError:
    return ModelSpecificationError(
        f"The expression {expr!r} nests more than {MAX_EXPRESSION_DEPTH} operations; "
        "split it into several ':=' definitions (a sum of sums).")


def _depth(node: ast.AST) -> int:
    """Nesting depth of an expression tree, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return deepest


def parse_expression(expr: str) -> ast.expr:
    """Parse an R-style arithmetic expression (``^`` for powers) into a safe AST."""
    text = expr.replace("^", "**")
    # lavaan labels may contain dots (a.1): give them Python names while parsing
    dotted: dict[str, str] = {}

    def _sub(m: re.Match) -> str:
        name = m.group(0)
        if "." not in name or _NUMBER.match(name):
            return name
        return dotted.setdefault(name, f"__dotted_{len(dotted)}")

    text = _NAME.sub(_sub, text)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ModelSpecificationError(f"Cannot read the expression {expr!r}.") from exc
    except (RecursionError, MemoryError) as exc:  # a sum of thousands of terms
        raise _too_deep(expr) from exc
    if _depth(node) > MAX_EXPRESSION_DEPTH:  # it would overflow the evaluator's stack
        raise _too_deep(expr)
    back = {v: k for k, v in dotted.items()}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in back:
            sub.id = back[sub.id]
    for sub in ast.walk(node):
        ok = isinstance(sub, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Call,
                              ast.Load, ast.USub, ast.UAdd, *_BINOPS))
        if not ok:
            raise ModelSpecificationError(
                f"The expression {expr!r} uses {type(sub).__name__}; only + - * / ^, "
                "parentheses, numbers, labels and sqrt/exp/log/abs/pnorm/qnorm/dnorm are "
                "allowed.")
        if isinstance(sub, ast.Call) and not (isinstance(sub.func, ast.Name)
                                              and sub.func.id in _FUNCS):
            raise ModelSpecificationError(
                f"The expression {expr!r} calls an unknown function; use sqrt, exp, log, abs, "
                "pnorm, qnorm or dnorm.")
    return node


def _eval(node: ast.expr, env: dict[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Call):
        return _FUNCS[node.func.id](*[_eval(a, env) for a in node.args])
    raise ModelSpecificationError("Unsupported expression.")


def expression_names(node: ast.expr) -> list[str]:
    """Label names used in an expression (function names excluded)."""
    funcs = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in funcs]


class DefinedParameters:
    """The ``:=`` rows of a model as a function of the row values of the parameter table."""

    def __init__(self, model: CompiledModel) -> None:
        pt = model.partable
        self.defs = [(r.lhs, r.rhs, parse_expression(r.rhs))
                     for r in pt[pt["op"] == ":="].itertuples()]
        self.label_row: dict[str, int] = {}
        for i, lab in enumerate(pt["label"]):
            if lab and lab not in self.label_row:
                self.label_row[lab] = i
        for i, pl in enumerate(pt["plabel"]):
            if pl:
                self.label_row.setdefault(pl, i)
        known = set(self.label_row)
        for name, text, node in self.defs:
            unknown = [n for n in expression_names(node) if n not in known]
            if unknown:
                raise ModelSpecificationError(
                    f"The definition {name} := {text} uses unknown labels: "
                    f"{', '.join(sorted(set(unknown)))}. Label parameters with a*x first.")
            known.add(name)

    def __len__(self) -> int:
        return len(self.defs)

    def values(self, row_values: np.ndarray) -> np.ndarray:
        """Defined parameters given the values of all table rows."""
        env = {lab: row_values[i] for lab, i in self.label_row.items()}
        out = []
        with np.errstate(all="ignore"):
            for name, _text, node in self.defs:
                v = float(_eval(node, env))
                env[name] = v
                out.append(v)
        return np.array(out)


def row_values_from_x(model: CompiledModel, x: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Values of all table rows for free vector ``x`` (``fixed`` gives the other rows)."""
    xid = model.partable["xid"].to_numpy()
    vals = fixed.copy()
    free = xid >= 0
    vals[free] = x[xid[free]]
    return vals


def defined_delta(model: CompiledModel, x: np.ndarray, fixed: np.ndarray,
                  vcov: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Defined parameters, their delta-method SEs and the Jacobian (central differences)."""
    dp = DefinedParameters(model)
    est = dp.values(row_values_from_x(model, x, fixed))
    if vcov is None or len(dp) == 0:
        return est, np.full(len(est), np.nan), None
    k = len(x)
    J = np.zeros((len(est), k))
    for j in range(k):
        h = 1e-6 * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        J[:, j] = (dp.values(row_values_from_x(model, xp, fixed))
                   - dp.values(row_values_from_x(model, xm, fixed))) / (2 * h)
    var = np.einsum("ij,jk,ik->i", J, vcov, J)
    return est, np.sqrt(np.maximum(var, 0.0)), J


def standardized(model: CompiledModel, x: np.ndarray, table: pd.DataFrame,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``std_lv`` and ``std_all`` for each row of ``table`` (a filled parameter table).

    Residual covariances are divided by the square roots of the two residual
    variances (residual correlations), as lavaan 0.6 does.
    """
    n = len(table)
    std_lv = np.full(n, np.nan)
    std_all = np.full(n, np.nan)
    ov_idx = {v: i for i, v in enumerate(model.ov_names)}
    eta_idx = {v: i for i, v in enumerate(model.eta_names)}
    lv = set(model.lv_names)
    est = table["est"].to_numpy(dtype=float)
    per_group = {}
    for g in range(model.n_groups):
        imp = model.implied(x)[g]
        veta, _ = model.implied_lv(x, g)
        delta = model.scales(x, g)
        var_tot: dict[str, float] = {}
        for v, i in ov_idx.items():  # unscaled metric: var(y*) = 1/delta^2 for ordered items
            var_tot[v] = imp.sigma[i, i] / delta[i] ** 2
        for v, i in eta_idx.items():
            var_tot[v] = veta[i, i]
        per_group[g + 1] = var_tot
    resvar: dict[tuple[int, str], float] = {}
    for i, r in enumerate(table.itertuples()):
        if r.op == "~~" and r.lhs == r.rhs:
            resvar[(r.group, r.lhs)] = est[i]
    with np.errstate(all="ignore"):
        for i, r in enumerate(table.itertuples()):
            if r.op in (":=", "==", "<", ">"):
                continue
            vt = per_group[r.group]

            def sd(v: str, vt=vt) -> float:
                return float(np.sqrt(vt[v]))

            def sdl(v: str, vt=vt) -> float:
                return float(np.sqrt(vt[v])) if v in lv else 1.0

            e = est[i]
            if r.op == "=~":
                std_lv[i] = e * sdl(r.lhs) / sdl(r.rhs)
                std_all[i] = e * sd(r.lhs) / sd(r.rhs)
            elif r.op == "~":
                std_lv[i] = e * sdl(r.rhs) / sdl(r.lhs)
                std_all[i] = e * sd(r.rhs) / sd(r.lhs)
            elif r.op == "~~" and r.lhs == r.rhs:
                std_lv[i] = e / sdl(r.lhs) ** 2
                std_all[i] = e / sd(r.lhs) ** 2
            elif r.op == "~~":
                a = resvar.get((r.group, r.lhs), np.nan)
                b = resvar.get((r.group, r.rhs), np.nan)
                # the absolute values, as lavaan: a residual covariance beside a negative
                # (Heywood) residual variance still has a standardized value
                std_all[i] = e / np.sqrt(abs(a) * abs(b))
                if r.lhs in lv and r.rhs in lv:
                    std_lv[i] = std_all[i]
                elif r.lhs in lv or r.rhs in lv:
                    std_lv[i] = e / (sdl(r.lhs) * sdl(r.rhs))
                else:
                    std_lv[i] = e
            elif r.op == "~1":
                std_lv[i] = e / sdl(r.lhs)
                std_all[i] = e / sd(r.lhs)
            elif r.op == "|":
                std_lv[i] = e
                std_all[i] = e / sd(r.lhs)
            elif r.op == "~*~":
                # a scale factor in the standardized metric of y* is 1 (lavaan)
                std_lv[i] = e
                std_all[i] = 1.0
            else:
                std_lv[i] = e
                std_all[i] = e
        defs = table["op"].to_numpy() == ":="
        if defs.any():
            dp = DefinedParameters(model)
            n_full = len(model.partable)
            if "id" in table.columns and len(table) != n_full:
                # a table without the constraint rows (==, <, >): the definitions' labels
                # index the model's full table (a == b before d := a*b was an IndexError)
                pos = table["id"].to_numpy(dtype=int) - 1
                for col in (std_lv, std_all):
                    full = np.full(n_full, np.nan)
                    full[pos] = col
                    col[defs] = dp.values(full)
            else:
                std_lv[defs] = dp.values(std_lv)
                std_all[defs] = dp.values(std_all)
    return std_lv, std_all


def standardized_nox(model: CompiledModel, x: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """lavaan's ``std.nox`` for each row of ``table``: ``std.all`` except that the
    exogenous observed covariates keep their own metric.

    A regression on a covariate is divided by the SD of its outcome only, the covariates'
    variances, covariances and means are the estimates, and a covariance of a covariate
    with another observed variable is divided by the other's residual SD only.  The
    covariates are those lavaan calls ``ov.x``: observed variables that only predict
    (fixed.x or not), never named by the user in a variance, covariance or intercept.

    # In R: lavaan::standardizedSolution(fit, type = "std.nox")
    """
    std_lv, std_all = standardized(model, x, table)
    pt = model.partable
    named = pt[(pt["user"] == 1) & pt["op"].isin(["~~", "~1"])]
    ov_x = ((set(model.ov_x) | set(model.options.get("ov_x_free") or ()))
            - set(named["lhs"]) - set(named["rhs"]))
    if not ov_x:
        return std_all
    out = std_all.copy()
    lv = set(model.lv_names)
    est = table["est"].to_numpy(dtype=float)
    total_sd = {}
    for g in range(model.n_groups):
        sig = model.implied(x)[g].sigma
        delta = model.scales(x, g)
        veta, _ = model.implied_lv(x, g)
        sd = {v: np.sqrt(sig[i, i]) / delta[i] for i, v in enumerate(model.ov_names)}
        sd.update({v: np.sqrt(veta[i, i]) for i, v in enumerate(model.eta_names)})
        total_sd[g + 1] = sd
    resvar = {(r.group, r.lhs): est[i] for i, r in enumerate(table.itertuples())
              if r.op == "~~" and r.lhs == r.rhs}
    with np.errstate(all="ignore"):
        for i, r in enumerate(table.itertuples()):
            if r.op == "~" and r.rhs in ov_x:
                out[i] = est[i] / total_sd[r.group][r.lhs]
            elif r.op == "~~" and r.lhs == r.rhs and r.lhs in ov_x:
                out[i] = est[i]
            elif r.op == "~~" and (r.lhs in ov_x or r.rhs in ov_x):
                val = std_lv[i]
                for v in (r.lhs, r.rhs):
                    if v not in ov_x and v not in lv:
                        val /= np.sqrt(abs(resvar.get((r.group, v), np.nan)))
                out[i] = val
            elif r.op == "~1" and r.lhs in ov_x:
                out[i] = est[i]
        defs = table["op"].to_numpy() == ":="
        if defs.any():
            dp = DefinedParameters(model)
            n_full = len(model.partable)
            if "id" in table.columns and len(table) != n_full:
                full = np.full(n_full, np.nan)
                full[table["id"].to_numpy(dtype=int) - 1] = out
                out[defs] = dp.values(full)
            else:
                out[defs] = dp.values(out)
    return out


def r_squared(model: CompiledModel, x: np.ndarray, table: pd.DataFrame) -> pd.Series:
    """R² of endogenous variables (lavaan ``inspect(fit, "r2")``), one Series per model.

    For several groups the index is ``(group, variable)``.
    """
    pt = table
    ind = set(pt.loc[pt["op"] == "=~", "rhs"])
    dep = set(pt.loc[pt["op"] == "~", "lhs"])
    names = [v for v in model.ov_names + model.lv_names if v in ind or v in dep]
    # lavaan order: observed first in ov order, then latent
    out = {}
    for g in range(model.n_groups):
        imp = model.implied(x)[g]
        veta, _ = model.implied_lv(x, g)
        delta = model.scales(x, g)
        sub = pt[(pt["group"] == g + 1) & (pt["op"] == "~~") & (pt["lhs"] == pt["rhs"])]
        res = dict(zip(sub["lhs"], sub["est"], strict=True))
        for v in names:
            if v in model.eta_names:
                tot = veta[model.eta_names.index(v), model.eta_names.index(v)]
            else:
                i = model.ov_names.index(v)
                tot = imp.sigma[i, i] / delta[i] ** 2
            key = v if model.n_groups == 1 else (model.groups[g], v)
            # lavaan reports NA for a negative residual variance (Heywood case)
            out[key] = 1.0 - res[v] / tot if res[v] >= 0 else np.nan
    s = pd.Series(out, dtype=float, name="r2")
    if model.n_groups > 1:
        s.index = pd.MultiIndex.from_tuples(s.index, names=["group", "variable"])
    return s


def resolve_fixed_values(table: pd.DataFrame) -> np.ndarray:
    """Row values of a filled table (``est``) used as the fixed part for defined params."""
    return table["est"].to_numpy(dtype=float).copy()


