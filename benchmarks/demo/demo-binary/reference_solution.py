"""Reference solution for demo-binary (ROC AUC, higher is better).

Reads ./input/{train,test}.csv, prints a hold-out ROC AUC, refits on all training rows and
writes ./submission/submission.csv with columns id,target (churn probability).
"""
import os

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
target = "churned"
features = [c for c in train.columns if c not in ("id", target)]

# Same category codes in train and test: declare the categories from both.
for col in train[features].select_dtypes("object").columns:
    cats = sorted(set(train[col]) | set(test[col]))
    train[col] = pd.Categorical(train[col], categories=cats)
    test[col] = pd.Categorical(test[col], categories=cats)


def make_model():
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=30,
        l2_regularization=1.0, categorical_features="from_dtype", random_state=0)


X, y = train[features], train[target]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
model = make_model().fit(X_tr, y_tr)
print(f"Validation ROC AUC: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.5f}")

model = make_model().fit(X, y)
os.makedirs("./submission", exist_ok=True)
pd.DataFrame({"id": test["id"], "target": model.predict_proba(test[features])[:, 1]}).to_csv(
    "./submission/submission.csv", index=False)
