"""ONNX export of skreg's estimators through skl2onnx.

``import skreg.onnx`` registers a converter for each estimator with skl2onnx,
after which ``skl2onnx.to_onnx(model, X[:1].astype(np.float32))`` converts a
fitted estimator, or a pipeline containing one, to an ONNX graph that
onnxruntime (or any ONNX runtime) executes without Python:

- :class:`~skreg.RegularizedRegressor` and :class:`~skreg.RegularizedRegressorCV`
  become ``X W^T + b`` (one output column per target);
- :class:`~skreg.RegularizedClassifier` and :class:`~skreg.RegularizedClassifierCV`
  become the logits ``X coef_^T + intercept_`` and two outputs, the labels and
  the probabilities: ``[sigmoid(-z), sigmoid(z)]`` for two classes (``z`` the
  log-odds of ``classes_[1]``), the softmax otherwise, as ``predict_proba``;
- :class:`~skreg.DropoutMLPRegressor` becomes the plain network: the fitted
  weights, the hidden activation, an identity output (with ``loss="poisson"``
  an exponential one: the predicted mean);
- :class:`~skreg.DropoutMLPClassifier` becomes the plain network with two
  outputs, the labels and the probabilities (softmax, or logistic per column:
  ``[1 - p, p]`` for two classes, one probability per label for a multilabel
  target, whose labels are the 0/1 indicators ``p > 1/2``).

For every classifier the label is read from the logits as ``predict`` reads
it (for two classes the sign of ``z``, ``z = 0`` giving ``classes_[0]``), not
from probabilities rounded to float32.  As for scikit-learn's classifiers, the
probabilities come as a list of ``{class: probability}`` maps unless the
option ``{"zipmap": False}`` is passed (``to_onnx(model, X, options={"zipmap":
False})``).  The labels have the type ``predict`` returns: int64 for integer
classes, strings for string classes, and for float classes
(``y.astype(float)``) floats with ``zipmap=False``, or int64 with the maps
(whose keys can only be int64 or strings), as skl2onnx exports scikit-learn's
``MLPClassifier``.  Boolean classes come back as int64 0/1, as skl2onnx
exports them for scikit-learn's classifiers.

The linear classifiers have the attribute layout of scikit-learn's
``LogisticRegression``, but skl2onnx's converter for it is not reused: for a
class that is not a ``LogisticRegression`` it turns the binary model into the
softmax of ``[-z, z]``, whose probabilities are ``sigmoid(2 z)``, and it reads
``multi_class`` and ``solver``, which skreg's classifiers do not have.  Their
converter is the one the networks use, on the logits.

Exporting an unfitted estimator raises
:class:`~sklearn.exceptions.NotFittedError`.

Dropout is a training-time idea: the exported networks drop nothing, exactly
as ``predict`` and ``predict_proba``.  Monte Carlo dropout
(``predict_proba_mc``, ``predict_mc``) draws random masks on every pass and
is not exported.

The graph computes in float32 for float32 input and in float64 for float64
input, whatever dtype the model was trained in.  Needs the ``onnx`` extra:
``pip install "skreg[onnx]"``.
"""

import numpy as np

from sklearn.utils.validation import check_is_fitted

try:
    from skl2onnx import update_registered_converter
    from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
        guess_proto_type,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as exc:      # pragma: no cover - depends on the environment
    raise ImportError(
        "skreg.onnx needs skl2onnx (and onnxruntime to run the graphs): "
        'pip install "skreg[onnx]".'
    ) from exc

from . import (
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    RegularizedClassifier,
    RegularizedClassifierCV,
    RegularizedRegressor,
    RegularizedRegressorCV,
)

__all__ = []

_ACTIVATION_OPS = {"relu": "Relu", "tanh": "Tanh", "logistic": "Sigmoid",
                   "identity": "Identity"}


# ---------------------------------------------------------------------- helpers
def _fitted_parser(parse, attribute):
    """skl2onnx's ``parse`` after ``check_is_fitted``: an unfitted model raises
    :class:`~sklearn.exceptions.NotFittedError` before anything reads it."""

    def parser(scope, model, inputs, custom_parsers=None):
        check_is_fitted(model, attribute)
        return parse(scope, model, inputs, custom_parsers=custom_parsers)

    return parser


def _label_type(scope, model):
    """How the labels leave the graph: ``"int64"``, ``"float"`` or ``"string"``.

    Integer and boolean classes give int64.  Float classes give floats of
    ``classes_``'s dtype, what ``predict`` returns, with ``zipmap=False``; with
    a ZipMap (the default), whose keys can only be int64 or strings, they give
    int64 as skl2onnx does for scikit-learn's ``MLPClassifier`` (classifiers
    take only whole-number float labels).  Anything else gives strings.
    """
    kind = model.classes_.dtype.kind
    if kind in "iub":
        return "int64"
    if kind == "f":
        zipmap = scope.get_options(model, dict(zipmap=True))["zipmap"]
        return "float" if zipmap is False else "int64"
    return "string"


def _float_types(operator):
    """(proto type, numpy dtype, tensor type) of the graph's arithmetic."""
    if guess_proto_type(operator.inputs[0].type) == onnx_proto.TensorProto.DOUBLE:
        return onnx_proto.TensorProto.DOUBLE, np.float64, DoubleTensorType
    return onnx_proto.TensorProto.FLOAT, np.float32, FloatTensorType


def _constant(scope, container, name, array, proto, dtype):
    array = np.asarray(array, dtype=dtype)
    unique = scope.get_unique_variable_name(name)
    container.add_initializer(unique, proto, list(array.shape), array.ravel().tolist())
    return unique


def _node(scope, container, op_type, inputs, output=None, **attrs):
    """Add one node; returns the name of its (single) output."""
    output = output or scope.get_unique_variable_name(op_type.lower())
    container.add_node(op_type, inputs, output,
                       name=scope.get_unique_operator_name(op_type), **attrs)
    return output


def _cast_input(scope, container, operator, proto):
    return _node(scope, container, "Cast", [operator.inputs[0].full_name], to=proto)


def _affine(scope, container, X, W, b, proto, dtype):
    """``X W + b`` with ``W`` of shape (n_in, n_out) and ``b`` of shape (n_out,)."""
    product = _node(scope, container, "MatMul",
                    [X, _constant(scope, container, "W", W, proto, dtype)])
    return _node(scope, container, "Add",
                 [product, _constant(scope, container, "b", np.reshape(b, (1, -1)),
                                     proto, dtype)])


def _network_outputs(scope, container, operator, proto, dtype):
    """The output layer's pre-activations of a fitted network, nothing dropped."""
    net = operator.raw_operator
    A = _cast_input(scope, container, operator, proto)
    last = len(net.coefs_) - 1
    for i, (W, b) in enumerate(zip(net.coefs_, net.intercepts_)):
        A = _affine(scope, container, A, W, b, proto, dtype)
        if i < last:
            A = _node(scope, container, _ACTIVATION_OPS[net.activation], [A])
    return A


# ---------------------------------------------------------------- regressors
def _regressor_shape(operator):
    _, _, tensor = _float_types(operator)
    model = operator.raw_operator
    if hasattr(model, "coefs_"):
        n_outputs = model.n_outputs_
    else:
        coef = np.asarray(model.coef_)
        n_outputs = 1 if coef.ndim == 1 else coef.shape[0]
    operator.outputs[0].type = tensor([None, n_outputs])


def _convert_linear(scope, operator, container):
    proto, dtype, _ = _float_types(operator)
    model = operator.raw_operator
    coef = np.atleast_2d(np.asarray(model.coef_))            # (n_targets, p)
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64),
                                (coef.shape[0],))
    X = _cast_input(scope, container, operator, proto)
    Y = _affine(scope, container, X, coef.T, intercept, proto, dtype)
    _node(scope, container, "Identity", [Y], operator.outputs[0].full_name)


def _convert_network_regressor(scope, operator, container):
    proto, dtype, _ = _float_types(operator)
    Z = _network_outputs(scope, container, operator, proto, dtype)
    model = operator.raw_operator
    output = {"identity": "Identity", "exp": "Exp"}[model.out_activation_]
    _node(scope, container, output, [Z], operator.outputs[0].full_name)


# --------------------------------------------------------------- classifiers
def _is_multilabel(model):
    """A network trained on a multilabel indicator target (never a linear one)."""
    return getattr(model, "_is_multilabel", lambda: False)()


def _classifier_shape(operator):
    _, _, tensor = _float_types(operator)
    model = operator.raw_operator
    n_classes = len(model.classes_)
    label = _label_type(operator.scope_inst, model)
    if _is_multilabel(model):
        operator.outputs[0].type = Int64TensorType([None, n_classes])
    elif label == "int64":
        operator.outputs[0].type = Int64TensorType([None])
    elif label == "float":
        double = model.classes_.dtype == np.float64
        operator.outputs[0].type = (DoubleTensorType if double
                                    else FloatTensorType)([None])
    else:
        operator.outputs[0].type = StringTensorType([None])
    operator.outputs[1].type = tensor([None, n_classes])


def _class_table(scope, container, model):
    """The initializer holding ``classes_`` in the labels' output type."""
    classes = model.classes_
    label_type = _label_type(scope, model)
    if label_type == "int64":
        table = scope.get_unique_variable_name("classes")
        container.add_initializer(table, onnx_proto.TensorProto.INT64,
                                  [len(classes)], classes.astype(np.int64).tolist())
        return table
    if label_type == "float":
        return _constant(scope, container, "classes", classes,
                         onnx_proto.TensorProto.DOUBLE
                         if classes.dtype == np.float64
                         else onnx_proto.TensorProto.FLOAT, classes.dtype)
    table = scope.get_unique_variable_name("classes")
    container.add_initializer(table, onnx_proto.TensorProto.STRING, [len(classes)],
                              [str(c).encode("utf-8") for c in classes])
    return table


def _classifier_outputs(scope, container, operator, Z, proto, dtype):
    """The labels and probabilities from the logits ``Z``: shape (n, 1) for two
    classes (the log-odds of ``classes_[1]``), (n, n_classes) otherwise (the
    softmax's logits, or one log-odds per label of a multilabel network)."""
    model = operator.raw_operator
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if _is_multilabel(model):
        _node(scope, container, "Sigmoid", [Z], proba)
        zero = _constant(scope, container, "zero", 0.0, proto, dtype)
        positive = _node(scope, container, "Greater", [Z, zero])
        _node(scope, container, "Cast", [positive], label,
              to=onnx_proto.TensorProto.INT64)
        return
    if len(model.classes_) == 2:
        # [1 - p, p] = [sigmoid(-z), sigmoid(z)] = softmax([-z/2, z/2]): the
        # smaller one keeps its relative accuracy (onnxruntime's Sigmoid has an
        # absolute error near 1e-7 in float32 and gives 0 below z = -18);
        # the label from [-z, z], exactly the sign of z (a tie gives class 0).
        half = _constant(scope, container, "half", 0.5, proto, dtype)
        halved = _node(scope, container, "Mul", [Z, half])
        pair = _node(scope, container, "Concat",
                     [_node(scope, container, "Neg", [halved]), halved], axis=1)
        _node(scope, container, "Softmax", [pair], proba, axis=1)
        scores = _node(scope, container, "Concat",
                       [_node(scope, container, "Neg", [Z]), Z], axis=1)
    else:
        _node(scope, container, "Softmax", [Z], proba, axis=1)
        scores = Z
    index = _node(scope, container, "ArgMax", [scores], axis=1, keepdims=0)
    _node(scope, container, "Gather", [_class_table(scope, container, model), index],
          label, axis=0)


def _convert_linear_classifier(scope, operator, container):
    proto, dtype, _ = _float_types(operator)
    model = operator.raw_operator
    coef = np.atleast_2d(np.asarray(model.coef_))            # (1 or n_classes, p)
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64),
                                (coef.shape[0],))
    X = _cast_input(scope, container, operator, proto)
    Z = _affine(scope, container, X, coef.T, intercept, proto, dtype)
    _classifier_outputs(scope, container, operator, Z, proto, dtype)


def _convert_network_classifier(scope, operator, container):
    proto, dtype, _ = _float_types(operator)
    Z = _network_outputs(scope, container, operator, proto, dtype)
    _classifier_outputs(scope, container, operator, Z, proto, dtype)


_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False]}

update_registered_converter(RegularizedRegressor, "SkregRegularizedRegressor",
                            _regressor_shape, _convert_linear,
                            parser=_fitted_parser(_parse_sklearn_simple_model, "coef_"))
update_registered_converter(RegularizedRegressorCV, "SkregRegularizedRegressorCV",
                            _regressor_shape, _convert_linear,
                            parser=_fitted_parser(_parse_sklearn_simple_model, "coef_"))
update_registered_converter(DropoutMLPRegressor, "SkregDropoutMLPRegressor",
                            _regressor_shape, _convert_network_regressor,
                            parser=_fitted_parser(_parse_sklearn_simple_model, "coefs_"))
update_registered_converter(DropoutMLPClassifier, "SkregDropoutMLPClassifier",
                            _classifier_shape, _convert_network_classifier,
                            options=_CLASSIFIER_OPTIONS,
                            parser=_fitted_parser(_parse_sklearn_classifier, "coefs_"))
update_registered_converter(RegularizedClassifier, "SkregRegularizedClassifier",
                            _classifier_shape, _convert_linear_classifier,
                            options=_CLASSIFIER_OPTIONS,
                            parser=_fitted_parser(_parse_sklearn_classifier, "coef_"))
update_registered_converter(RegularizedClassifierCV, "SkregRegularizedClassifierCV",
                            _classifier_shape, _convert_linear_classifier,
                            options=_CLASSIFIER_OPTIONS,
                            parser=_fitted_parser(_parse_sklearn_classifier, "coef_"))
