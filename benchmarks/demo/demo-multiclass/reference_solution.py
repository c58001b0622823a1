"""Reference solution for demo-multiclass (multi-class log loss, lower is better).

Reads ./input/{train,test}.csv, prints a hold-out log loss, refits on all training rows and
writes ./submission/submission.csv with columns id,kama,rosa,canadian (probabilities).
"""
import os

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
classes = list(pd.read_csv("./input/sample_submission.csv", nrows=1).columns[1:])
target = "variety"
features = [c for c in train.columns if c not in ("id", target)]
categorical = ["farm_region"]
numeric = [c for c in features if c not in categorical]


def make_model():
    prep = ColumnTransformer([
        ("num", StandardScaler(), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    ])
    gbm = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=250, max_leaf_nodes=15, min_samples_leaf=30,
        l2_regularization=1.0, random_state=0)
    return make_pipeline(prep, gbm)


def proba(model, X):
    # Columns in the submission's class order, whatever order the model learnt them in.
    p = model.predict_proba(X)
    return pd.DataFrame(p, columns=model.classes_)[classes]


X, y = train[features], train[target]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
model = make_model().fit(X_tr, y_tr)
print(f"Validation log loss: {log_loss(y_va, proba(model, X_va).values, labels=classes):.5f}")

model = make_model().fit(X, y)
sub = proba(model, test[features])
sub.insert(0, "id", test["id"].values)
os.makedirs("./submission", exist_ok=True)
sub.to_csv("./submission/submission.csv", index=False)
