"""Reference solution for demo-regression (RMSE, lower is better).

Reads ./input/{train,test}.csv, prints a hold-out RMSE, refits on all training rows and
writes ./submission/submission.csv with columns id,target (price in thousands).
"""
import os

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
target = "price"
features = [c for c in train.columns if c not in ("id", target)]

for col in train[features].select_dtypes("object").columns:
    cats = sorted(set(train[col]) | set(test[col]))
    train[col] = pd.Categorical(train[col], categories=cats)
    test[col] = pd.Categorical(test[col], categories=cats)


def make_model():
    return HistGradientBoostingRegressor(
        learning_rate=0.05, max_iter=500, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, categorical_features="from_dtype", random_state=0)


X, y = train[features], train[target]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, random_state=0)
model = make_model().fit(X_tr, y_tr)
print(f"Validation RMSE: {np.sqrt(mean_squared_error(y_va, model.predict(X_va))):.4f}")

model = make_model().fit(X, y)
os.makedirs("./submission", exist_ok=True)
pd.DataFrame({"id": test["id"], "target": model.predict(test[features])}).to_csv(
    "./submission/submission.csv", index=False)
