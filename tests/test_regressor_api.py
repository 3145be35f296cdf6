"""RegularizedRegressor in use: bad input, pipelines, grid search, feature selection,
pickling and DataFrames."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import Lasso
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor

X, y = load_diabetes(return_X_y=True)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"alpha": -1.0}, ValueError, "'alpha' must be >= 0"),
        ({"alpha": "big"}, TypeError, "'alpha' must be a real number"),
        ({"alpha": np.nan}, ValueError, "'alpha' must be finite"),
        ({"l1_ratio": 1.5}, ValueError, "'l1_ratio' must be <= 1"),
        ({"l1_ratio": -0.1}, ValueError, "'l1_ratio' must be >= 0"),
        ({"penalty": "l3"}, ValueError, "'penalty' must be one of"),
        ({"penalty": "L1"}, ValueError, "'penalty' must be one of"),
        ({"solver": "newton"}, ValueError, "'solver' must be one of"),
        ({"max_iter": 0}, ValueError, "'max_iter' must be >= 1"),
        ({"max_iter": 2.5}, TypeError, "'max_iter' must be an integer"),
        ({"tol": -1e-3}, ValueError, "'tol' must be >= 0"),
        ({"fit_intercept": "yes"}, TypeError, "'fit_intercept' must be True or False"),
        ({"penalty": "l1", "solver": "cholesky"}, ValueError, "solver='cholesky'"),
        ({"penalty": "elasticnet", "solver": "cg"}, ValueError, "solver='cg'"),
        ({"penalty": "l2", "solver": "cholesky", "positive": True}, ValueError,
         "positive=True"),
    ],
)
def test_bad_parameters_are_named(params, exc, match):
    with pytest.raises(exc, match=match):
        RegularizedRegressor(**params).fit(X, y)


def test_bad_data_is_named():
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RegularizedRegressor().fit(bad, y)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        RegularizedRegressor().fit(bad, y)
    y_bad = y.copy()
    y_bad[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RegularizedRegressor().fit(X, y_bad)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        RegularizedRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        RegularizedRegressor().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="sample_weight has 10 entries"):
        RegularizedRegressor().fit(X, y, sample_weight=np.ones(10))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        RegularizedRegressor().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight must be finite"):
        RegularizedRegressor().fit(X, y, sample_weight=np.full(len(y), np.nan))
    fitted = RegularizedRegressor().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :5])
    with pytest.raises(ValueError):
        RegularizedRegressor().fit(np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0])


def test_pipeline_grid_search_over_alpha_and_penalty_in_parallel():
    # both sides solved tightly, so that their scores can be compared to 1e-5
    pipe = make_pipeline(StandardScaler(), RegularizedRegressor(tol=1e-8))
    grid = {
        "regularizedregressor__alpha": np.logspace(-3, 1, 5),
        "regularizedregressor__penalty": ["l1", "l2", "elasticnet"],
    }
    search = GridSearchCV(pipe, grid, cv=KFold(5, shuffle=True, random_state=0),
                          n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.4
    # the same search with scikit-learn's Lasso over the same alphas and folds
    lasso = GridSearchCV(make_pipeline(StandardScaler(), Lasso(tol=1e-8, max_iter=100_000)),
                         {"lasso__alpha": grid["regularizedregressor__alpha"]},
                         cv=KFold(5, shuffle=True, random_state=0)).fit(X, y)
    ours = search.cv_results_
    l1_rows = [i for i, p in enumerate(ours["params"])
               if p["regularizedregressor__penalty"] == "l1"]
    np.testing.assert_allclose(ours["mean_test_score"][l1_rows],
                               lasso.cv_results_["mean_test_score"], rtol=1e-5)


def test_cross_validate_with_sample_weight_routing_free_call():
    res = cross_validate(RegularizedRegressor("elasticnet", 0.01), X, y, cv=3,
                         params={"sample_weight": np.ones(len(y))})
    assert np.all(res["test_score"] > 0.3)


def test_select_from_model_keeps_the_l1_support():
    Xs = StandardScaler().fit_transform(X)
    est = RegularizedRegressor("l1", alpha=1.0)
    selector = SelectFromModel(est, threshold=1e-10).fit(Xs, y)
    support = np.flatnonzero(selector.get_support())
    np.testing.assert_array_equal(support, np.flatnonzero(est.fit(Xs, y).coef_))
    assert 0 < support.size < X.shape[1]
    assert selector.transform(Xs).shape[1] == support.size


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
def test_pickle_round_trip(penalty):
    est = RegularizedRegressor(penalty, 0.1).fit(X, y)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.predict(X), est.predict(X))


def test_dataframe_input_records_feature_names():
    data = load_diabetes(as_frame=True)
    est = RegularizedRegressor("l1", 0.1).fit(data.data, data.target)
    np.testing.assert_array_equal(est.feature_names_in_, data.data.columns)
    np.testing.assert_allclose(est.predict(data.data),
                               RegularizedRegressor("l1", 0.1).fit(X, y).predict(X))
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X)
    renamed = data.data.rename(columns={"age": "AGE"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)


def test_sparse_predict_and_pandas_target():
    Xs = sp.csr_matrix(X)
    est = RegularizedRegressor("l1", 0.1).fit(Xs, pd.Series(y))
    np.testing.assert_allclose(est.predict(Xs), est.predict(X))


def test_fit_does_not_change_parameters_or_set_attributes_early():
    est = RegularizedRegressor("l1", 0.1)
    assert not any(k.endswith("_") and not k.startswith("__") for k in vars(est))
    params = est.get_params()
    est.fit(X, y)
    assert est.get_params() == params
    assert est.n_iter_ >= 1 and est.solver_ == "working_set"
    assert RegularizedRegressor("l2").fit(X, y).n_iter_ == 1
