"""Train and score a small classifier with the scikit-learn framework layer (Python 3.12)."""

import sys

import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

features, labels = load_iris(return_X_y=True)  # bundled with scikit-learn: no download
train_x, test_x, train_y, test_y = train_test_split(
    features, labels, test_size=0.3, random_state=0, stratify=labels
)
model = LogisticRegression(max_iter=1000).fit(train_x, train_y)

print(f"Python {sys.version.split()[0]}, scikit-learn {sklearn.__version__}")
print(f"iris: trained on {len(train_y)} flowers, accuracy on {len(test_y)} others = "
      f"{model.score(test_x, test_y):.3f}")
