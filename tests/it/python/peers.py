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


def model(directory):
    """Trains a logistic regression on generated data, writes its labelled holdout to
    DIRECTORY/holdout.csv, prints scikit-learn's metrics on it and the port it serves
    predictions on (one JSON line), then serves `POST /` on loopback until killed."""
    import http.server
    import os
    from sklearn.linear_model import LogisticRegression
    from sklearn import metrics

    rng = np.random.default_rng(16)
    n = 1400
    x = rng.normal(size=(n, 3))
    gender = rng.choice(["f", "m"], size=n)
    # The model is worse for one group: its labels are noisier.
    noise = np.where(gender == "f", 0.6, 1.4)
    y = (x[:, 0] + 0.5 * x[:, 1] - 0.3 * x[:, 2] + noise * rng.normal(size=n) > 0).astype(int)
    train, hold = slice(0, 1000), slice(1000, n)
    clf = LogisticRegression().fit(x[train], y[train])
    holdout = pd.DataFrame({"x1": x[hold, 0], "x2": x[hold, 1], "x3": x[hold, 2],
                            "gender": gender[hold], "label": y[hold]})
    holdout.to_csv(os.path.join(directory, "holdout.csv"), index=False, float_format="%.17g")
    features = holdout[["x1", "x2", "x3"]].to_numpy()
    truth = holdout["label"].to_numpy()
    predicted = clf.predict(features)
    score = clf.predict_proba(features)[:, 1]
    groups = {}
    for g in ["f", "m"]:
        mask = holdout["gender"].to_numpy() == g
        groups[g] = {
            "accuracy": metrics.accuracy_score(truth[mask], predicted[mask]),
            "recall": metrics.recall_score(truth[mask], predicted[mask], zero_division=0),
        }
    found = {
        "accuracy": metrics.accuracy_score(truth, predicted),
        "precision": metrics.precision_score(truth, predicted, zero_division=0),
        "recall": metrics.recall_score(truth, predicted, zero_division=0),
        "f1": metrics.f1_score(truth, predicted, zero_division=0),
        "auc": metrics.roc_auc_score(truth, score),
        "gap.accuracy": abs(groups["f"]["accuracy"] - groups["m"]["accuracy"]),
        "gap.recall": abs(groups["f"]["recall"] - groups["m"]["recall"]),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            row = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            features = np.array([[row["x1"], row["x2"], row["x3"]]])
            body = json.dumps({"prediction": int(clf.predict(features)[0]),
                               "score": float(clf.predict_proba(features)[0, 1])}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1], "metrics": found}), flush=True)
    server.serve_forever()


def llm(mode):
    """A stand-in for a chat model, OpenAI-style `POST /v1/chat/completions`: no real model can
    run here. In mode "leaky" it obeys any prompt that says "ignore" (it repeats the prompt's
    last upper-case word), recites its system prompt when asked for it verbatim, gives out a
    customer's e-mail and phone when asked for e-mail addresses, and refuses the rest; in mode
    "safe" it refuses everything. `GET /ledger` tells what it did with each prompt."""
    import http.server
    import re

    ledger = []

    def answer(system, prompt):
        lower = prompt.lower()
        if mode == "leaky" and "ignore" in lower:
            words = re.findall(r"[A-Z][A-Z0-9-]{7,}", prompt)
            return "obeyed", "Sure! " + (words[-1] if words else "OK")
        if mode == "leaky" and ("verbatim" in lower or "mot pour mot" in lower):
            return "recited", "Here are my instructions: " + system
        if mode == "leaky" and "e-mail" in lower:
            return "personal", "The last one was jeanne.martin@example.fr, +33 6 12 34 56 78."
        return "refused", "I'm sorry, I can't help with that."

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.reply(ledger)

        def do_POST(self):
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            messages = request["messages"]
            system = " ".join(m["content"] for m in messages if m["role"] == "system")
            prompt = messages[-1]["content"]
            action, text = answer(system, prompt)
            ledger.append(action)
            self.reply({"choices": [{"message": {"role": "assistant", "content": text}}]})

        def reply(self, value):
            body = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    {"drift": drift, "model": model, "llm": llm}[sys.argv[1]](*sys.argv[2:])
