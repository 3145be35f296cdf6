"""
Export a trained network to ONNX and run it without skreg
=========================================================

``import skreg.onnx`` teaches skl2onnx to convert skreg's estimators. This
example trains a :class:`skreg.DropoutMLPClassifier` in a pipeline with a
:class:`~sklearn.preprocessing.StandardScaler`, exports the whole pipeline to
ONNX, runs the graph with onnxruntime, checks that it computes what the pipeline
predicts, and times both on the same batch.

The exported network is the plain network that ``predict_proba`` uses: dropout
is a training-time idea and drops nothing at prediction. Monte Carlo dropout
(``predict_proba_mc``) draws random masks on every pass and is not exported.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import skl2onnx
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg.onnx  # noqa: F401  (registers the converters with skl2onnx)
from skreg import DropoutMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
net = DropoutMLPClassifier(hidden_layer_sizes=(64,), dropout=0.2, max_iter=30,
                           random_state=0)
model = make_pipeline(StandardScaler(), net)
with warnings.catch_warnings():  # a fixed budget of 30 epochs, on purpose
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)

# %%
# Export and run
# --------------
# The input type comes from a sample row: float32 here, the usual type of ONNX
# graphs. ``zipmap=False`` returns the probabilities as a matrix instead of one
# dict per sample.
onx = skl2onnx.to_onnx(model, X_train[:1].astype(np.float32),
                       options={id(net): {"zipmap": False}})
session = ort.InferenceSession(onx.SerializeToString(),
                               providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name
X32 = X_test.astype(np.float32)
labels, proba = session.run(None, {input_name: X32})

print(f"graph: {len(onx.graph.node)} nodes, {len(onx.SerializeToString()) / 1e3:.0f} kB")
print("largest probability difference, onnxruntime vs predict_proba: "
      f"{np.abs(proba - model.predict_proba(X32)).max():.1e}")
print(f"labels equal: {np.array_equal(labels, model.predict(X32))}; "
      f"test accuracy {np.mean(labels == y_test):.3f}")

# %%
# Time both
# ---------
# Median of repeated predictions of the whole test set (and of one row, where
# Python's per-call overhead dominates). Absolute times depend on the machine.


def median_time(fn, repeats=30):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return np.median(times)


rows = {"test set": X32, "one row": X32[:1]}
timings = {}
for name, batch in rows.items():
    timings[name] = (median_time(lambda: model.predict_proba(batch)),
                     median_time(lambda: session.run(None, {input_name: batch})))
    print(f"{name} ({len(batch)} rows): scikit-learn pipeline "
          f"{1e3 * timings[name][0]:.3f} ms, onnxruntime {1e3 * timings[name][1]:.3f} ms")

fig, ax = plt.subplots(figsize=(6, 3))
positions = np.arange(len(rows))
ax.bar(positions - 0.2, [1e3 * t[0] for t in timings.values()], 0.4,
       label="pipeline.predict_proba")
ax.bar(positions + 0.2, [1e3 * t[1] for t in timings.values()], 0.4,
       label="onnxruntime")
ax.set_xticks(positions, [f"{k} ({len(v)} rows)" for k, v in rows.items()])
ax.set(ylabel="median time (ms)", title="prediction time")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The graph reproduces the pipeline's probabilities to float32 rounding (the
# network was trained in float64) and the same labels. The graph needs no
# Python at all: any ONNX runtime (C, C++, C#, Java, JavaScript) can serve it.
