"""Spark: fits and the one-pass CV from pyspark DataFrames, against in-memory fits,
the in-memory CV with PredefinedSplit / HashKFold, and MLlib's LinearRegression.

One ``local[2]`` session serves the module (small driver memory, no UI, two
shuffle partitions).
"""

import os
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

from sklearn.model_selection import PredefinedSplit  # noqa: E402

from skreg import HashKFold, RegularizedRegressor, RegularizedRegressorCV  # noqa: E402

CV_ATTRIBUTES = ("alphas_", "mse_path_", "alpha_", "coef_", "intercept_")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    saved = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable      # the workers run this Python
    session = (SparkSession.builder.master("local[2]").appName("skreg-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if saved is None:
        del os.environ["PYSPARK_PYTHON"]
    else:
        os.environ["PYSPARK_PYTHON"] = saved


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        # pyspark's notice about pandas >= 3; Spark's own resource notices
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        yield


def _data(n=3000, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2, p) + rng.normal(size=p) * 10
    y = X[:, :4] @ rng.normal(size=4) + rng.normal(size=n) + 100.0
    sw = rng.uniform(0, 2, n)
    return X, y, sw


def _frame(X, y, sw=None, folds=None):
    columns = [f"x{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    frame["x0"] = np.round(X[:, 0] * 4).astype(np.int64)    # an integer feature
    frame["target"] = y
    if sw is not None:
        frame["w"] = sw
    if folds is not None:
        frame["fold"] = folds.astype(np.int32)
    return frame, columns


def _vectors(spark, frame, columns):
    from pyspark.ml.feature import VectorAssembler

    sdf = spark.createDataFrame(frame)
    return VectorAssembler(inputCols=columns, outputCol="features").transform(
        sdf).drop(*columns)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
def test_spark_fit_equals_in_memory_fit(spark, penalty):
    X, y, sw = _data()
    frame, columns = _frame(X, y, sw)
    kw = dict(alpha=0.05, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressor(penalty, **kw).fit(frame[columns], y, sample_weight=sw)
    sdf = spark.createDataFrame(frame).repartition(3)
    got = RegularizedRegressor(penalty, **kw).fit(sdf, "target", sample_weight="w")
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-12)
    assert got.intercept_ == pytest.approx(ref.intercept_, rel=1e-10)
    assert list(got.feature_names_in_) == columns
    pred = got.predict(sdf)                           # lazy: a DataFrame back
    assert pred.columns == sdf.columns + ["prediction"]
    out = pred.toPandas()
    np.testing.assert_allclose(out["prediction"], got.predict(out[columns]),
                               rtol=1e-12)


def test_spark_vector_column_fit_and_predict(spark):
    X, y, _ = _data(2000, 5, seed=1)
    frame, columns = _frame(X, y)
    vdf = _vectors(spark, frame, columns)
    got = RegularizedRegressor("l1", 0.1, tol=1e-12).fit(vdf, "target")
    ref = RegularizedRegressor("l1", 0.1, tol=1e-12).fit(frame[columns].to_numpy(), y)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-12)
    assert not hasattr(got, "feature_names_in_")
    out = got.predict(vdf).toPandas()
    X_back = np.stack([v.toArray() for v in out["features"]])
    np.testing.assert_allclose(out["prediction"], ref.predict(X_back), rtol=1e-10)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.5), ("l2", 0.5),
                                               ("elasticnet", [0.3, 0.9])])
def test_spark_cv_by_fold_column_equals_in_memory_cv(spark, penalty, l1_ratio):
    X, y, sw = _data(3000, 6, seed=2)
    folds = np.random.default_rng(2).integers(-1, 4, len(y))
    frame, columns = _frame(X, y, sw, folds)
    kw = dict(alphas=12, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV(penalty, cv=PredefinedSplit(folds), **kw).fit(
        frame[columns], y, sample_weight=sw)
    got = RegularizedRegressorCV(penalty, cv="fold", **kw).fit(
        spark.createDataFrame(frame).repartition(4), "target", sample_weight="w")
    for name in CV_ATTRIBUTES:
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-8,
                                   err_msg=name)
    assert got.l1_ratio_ == ref.l1_ratio_ and list(got.feature_names_in_) == columns


def test_spark_cv_by_hash_is_independent_of_partitioning(spark):
    X, y, _ = _data(2500, 5, seed=3)
    frame, columns = _frame(X, y)
    kw = dict(alphas=10, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV("elasticnet", cv=HashKFold(5, seed=7), **kw).fit(
        frame[columns], y)
    vdf = _vectors(spark, frame, columns)
    for parts in (1, 5):
        got = RegularizedRegressorCV("elasticnet", cv=HashKFold(5, seed=7), **kw).fit(
            vdf.repartition(parts), "target")
        for name in CV_ATTRIBUTES:
            np.testing.assert_allclose(getattr(got, name), getattr(ref, name),
                                       rtol=1e-8, err_msg=name)


@pytest.mark.parametrize("elastic_net_param", [0.0, 0.5])
def test_spark_fit_equals_mllib_linear_regression(spark, elastic_net_param):
    """MLlib solves on y / sd(y): its L2 term is ours divided by sd(y).

    ``LinearRegression(regParam=lam, elasticNetParam=a, standardization=False)``
    with the normal-equation solver is our objective with ``alpha * l1_ratio =
    lam * a`` and ``alpha * (1 - l1_ratio) = lam * (1 - a) / sd``, ``sd`` the
    weighted standard deviation of y (divided by the weight sum).
    """
    from pyspark.ml.regression import LinearRegression

    X, y, sw = _data(2000, 5, seed=4)
    frame, columns = _frame(X, y, sw)
    vdf = _vectors(spark, frame, columns)
    lam, a = 0.3, elastic_net_param
    mllib = LinearRegression(featuresCol="features", labelCol="target", weightCol="w",
                             regParam=lam, elasticNetParam=a, standardization=False,
                             solver="normal", tol=1e-12, maxIter=10_000).fit(vdf)
    ybar = np.average(y, weights=sw)
    sd = np.sqrt(np.average((y - ybar) ** 2, weights=sw))
    alpha = lam * a + lam * (1 - a) / sd
    ours = RegularizedRegressor("elasticnet" if a else "l2", alpha,
                                l1_ratio=lam * a / alpha if a else 0.5, tol=1e-12,
                                max_iter=100_000).fit(vdf, "target", sample_weight="w")
    theirs = mllib.coefficients.toArray()
    np.testing.assert_allclose(ours.coef_, theirs, rtol=1e-6,
                               atol=1e-6 * np.abs(theirs).max())
    assert ours.intercept_ == pytest.approx(mllib.intercept, rel=1e-6)


def test_spark_bad_input_is_refused_before_the_pass(spark):
    from pyspark.sql import functions as F

    X, y, _ = _data(200, 4, seed=5)
    frame, columns = _frame(X, y)
    sdf = spark.createDataFrame(frame.assign(city="Lyon"))
    with pytest.raises(TypeError, match=r"not: \['city \(string\)'\]"):
        RegularizedRegressor().fit(sdf, "target")
    with pytest.raises(ValueError, match=r"\{'cv': 'fold'\} not found"):
        RegularizedRegressorCV(cv="fold").fit(sdf.drop("city"), "target")
    with pytest.raises(TypeError, match="name of its target column"):
        RegularizedRegressor().fit(sdf.drop("city"), y)
    with pytest.raises(TypeError, match="must hold integers"):
        RegularizedRegressorCV(cv="x1").fit(sdf.drop("city"), "target")
    with pytest.raises(ValueError, match="PredefinedSplit.*Spark DataFrame"):
        RegularizedRegressorCV(cv=PredefinedSplit(np.zeros(200))).fit(
            sdf.drop("city"), "target")
    wide = spark.range(2).select(F.array(F.lit(1.0)).alias("v"), F.lit(1.0).alias("t"))
    wide = wide.select(F.col("v").alias("features", metadata={
        "ml_attr": {"num_attrs": 40_000}}), "t")
    from pyspark.ml.functions import array_to_vector

    wide = wide.select(array_to_vector("features").alias("features", metadata={
        "ml_attr": {"num_attrs": 40_000}}), "t")
    with pytest.raises(ValueError, match=r"40000 x 40000 .* needs 12\.8 GB"):
        RegularizedRegressor().fit(wide, "t")
    with pytest.raises(ValueError, match=r"7 matrices of 20000 x 20000.*22\.4 GB"):
        RegularizedRegressorCV(cv=5).fit(wide.withMetadata(
            "features", {"ml_attr": {"num_attrs": 20_000}}), "t")


def test_spark_nulls_and_nan_are_named(spark):
    X, y, _ = _data(300, 4, seed=6)
    frame, columns = _frame(X, y)
    frame["x2"] = frame["x2"].astype(object)
    frame.loc[[5, 9], "x2"] = None
    frame.loc[7, "target"] = np.nan
    sdf = spark.createDataFrame(frame)
    model = RegularizedRegressor().fit(sdf.dropna(), "target")     # a model to keep
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=r"\{'x2': 2, 'target': 1\}"):
        model.fit(sdf, "target")
    np.testing.assert_array_equal(model.coef_, coef)


def test_spark_fit_with_factors_and_dropout_equals_in_memory_fit(spark):
    X, y, sw = _data()
    frame, columns = _frame(X, y, sw)
    factor = {name: float(i % 3) for i, name in enumerate(columns)}    # zeros too
    kw = dict(alpha=0.05, tol=1e-12, penalty_factor=factor, dropout=0.2)
    ref = RegularizedRegressor("l1", **kw).fit(frame[columns], y, sample_weight=sw)
    got = RegularizedRegressor("l1", **kw).fit(spark.createDataFrame(frame),
                                               "target", sample_weight="w")
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-12)


def test_spark_dataframe_where_it_is_not_taken_says_so(spark):
    from skreg import DropoutMLPClassifier, DropoutMLPRegressor

    X, y, _ = _data(200, 4, seed=7)
    frame, columns = _frame(X, y)
    sdf = spark.createDataFrame(frame)
    model = RegularizedRegressor().fit(sdf, "target")
    cv = RegularizedRegressorCV(cv=3).fit(sdf, "target")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # two epochs: not converged
        net = DropoutMLPRegressor((4,), max_iter=2).fit(frame[columns], y)
        clf = DropoutMLPClassifier((4,), max_iter=2).fit(frame[columns],
                                                         y > np.median(y))
    calls = {
        "RegularizedRegressor.score": lambda: model.score(sdf, "target"),
        "RegularizedRegressorCV.score": lambda: cv.score(sdf, "target"),
        "RegularizedRegressor.partial_fit": lambda: RegularizedRegressor()
        .partial_fit(sdf, "target"),
        "RegularizedRegressorCV.partial_fit": lambda: RegularizedRegressorCV()
        .partial_fit(sdf, "target"),
        "DropoutMLPRegressor.fit": lambda: DropoutMLPRegressor().fit(sdf, "target"),
        "DropoutMLPClassifier.fit": lambda: DropoutMLPClassifier().fit(sdf, "target"),
        "DropoutMLPRegressor.partial_fit": lambda: DropoutMLPRegressor()
        .partial_fit(sdf, "target"),
        "DropoutMLPRegressor.predict": lambda: net.predict(sdf),
        "DropoutMLPClassifier.predict": lambda: clf.predict(sdf),
        "DropoutMLPClassifier.predict_proba": lambda: clf.predict_proba(sdf),
        "DropoutMLPRegressor.score": lambda: net.score(sdf, "target"),
        "DropoutMLPClassifier.score": lambda: clf.score(sdf, "target"),
    }
    for name, call in calls.items():
        cls, method = name.split(".")
        shown = "predict" if method == "predict_proba" else method
        with pytest.raises(TypeError, match=rf"{cls}\.{shown} does not take a Spark "
                           r"DataFrame.*fit and predict methods of Regularized"):
            call()
    # the in-memory score of the same rows still works, and equals R^2 by hand
    pred = model.predict(frame[columns])
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert model.score(frame[columns], y) == pytest.approx(r2, rel=1e-12)


def test_spark_wrong_penalty_factor_is_refused_before_the_pass(spark):
    from pyspark.sql import functions as F

    X, y, _ = _data(200, 4, seed=8)
    frame, columns = _frame(X, y)
    # a feature column whose evaluation fails: any pass over the rows raises
    sdf = spark.createDataFrame(frame).withColumn(
        "x3", F.raise_error(F.lit("the rows were read")).cast("double"))
    bad = {"x0": 1.0, "x1": 1.0, "x2": 1.0, "nope": 1.0}
    for est in (RegularizedRegressor(penalty_factor=[1.0, 2.0]),
                RegularizedRegressorCV(penalty_factor=[1.0, 2.0], cv=3)):
        with pytest.raises(ValueError, match=r"penalty_factor has shape \(2,\), but "
                                             r"X has 4 features"):
            est.fit(sdf, "target")
    for est in (RegularizedRegressor(penalty_factor=bad),
                RegularizedRegressorCV(penalty_factor=bad, cv=3)):
        with pytest.raises(ValueError, match=r"unknown names \['nope'\]; no factor "
                                             r"for \['x3'\]"):
            est.fit(sdf, "target")
    vdf = _vectors(spark, frame, columns)
    with pytest.raises(ValueError, match="keyed by feature name, but X has no column"):
        RegularizedRegressor(penalty_factor=bad).fit(vdf, "target")


def test_spark_negative_weight_is_a_value_error_naming_the_column(spark):
    X, y, sw = _data(300, 4, seed=9)
    sw[[3, 50, 200]] = -1.0
    frame, columns = _frame(X, y, sw)
    sdf = spark.createDataFrame(frame).repartition(3)
    model = RegularizedRegressor().fit(frame[columns], y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="non-negative: the weight column 'w' has "
                                         r"3 negative"):
        model.fit(sdf, "target", sample_weight="w")
    np.testing.assert_array_equal(model.coef_, coef)
    with pytest.raises(ValueError, match="the weight column 'w' has 3 negative"):
        RegularizedRegressorCV(cv=3).fit(sdf, "target", sample_weight="w")
    # the in-memory fit refuses the same weights with the same words
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        RegularizedRegressor().fit(frame[columns], y, sample_weight=sw)
