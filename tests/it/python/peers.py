"""The peers golive's ML probes are compared with, run by tests/it/peers.rs.

`drift REF CUR`: per column, what scipy and Evidently compute on the same two CSV files, as
JSON on standard output. Evidently's own stattest functions are called (the ones its
DataDriftPreset picks), so the comparison is with Evidently's binning and zero filling, not a
re-implementation of it.
"""

import json
import sys

import numpy as np
import pandas as pd
from scipy import stats
from evidently.legacy.core import ColumnType
from evidently.legacy.calculations.stattests.psi import psi_stat_test
from evidently.legacy.calculations.stattests.ks_stattest import ks_stat_test
from evidently.legacy.calculations.stattests.chisquare_stattest import chi_stat_test
from evidently.legacy.calculations.stattests.jensenshannon import jensenshannon_stat_test


def drift(ref_path, cur_path):
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    out = {}
    for column in ref.columns:
        r = ref[column].dropna()
        c = cur[column].dropna()
        numeric = pd.api.types.is_numeric_dtype(r) and pd.api.types.is_numeric_dtype(c)
        kind = ColumnType.Numerical if numeric else ColumnType.Categorical
        row = {
            "psi": float(psi_stat_test.func(r, c, kind, 0.1)[0]),
            "missing": float(cur[column].isna().mean()),
        }
        if numeric:
            ks = stats.ks_2samp(r, c)
            row["ks"] = float(ks.statistic)
            row["ks_p"] = float(ks.pvalue)
            row["evidently_ks_p"] = float(ks_stat_test.func(r, c, kind, 0.05)[0])
        else:
            keys = sorted(set(r.unique()) | set(c.unique()))
            rc, cc = r.value_counts(), c.value_counts()
            k = len(c) / len(r)
            f_obs = [float(cc.get(key, 0)) for key in keys]
            f_exp = [float(rc.get(key, 0)) * k for key in keys]
            chi = stats.chisquare(f_obs, f_exp)
            row["chi2"] = float(chi.statistic)
            row["chi2_p"] = float(chi.pvalue)
            row["evidently_chi2_p"] = float(chi_stat_test.func(r, c, kind, 0.05)[0])
            row["js"] = float(jensenshannon_stat_test.func(r, c, kind, 0.1)[0])
        out[column] = row
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    {"drift": drift}[sys.argv[1]](*sys.argv[2:])
