"""xpnet.course against the values the course's notebooks print for their test cases.

The test cases are rebuilt as the course's ``testCases`` files build them (``np.random.seed(k)``
then ``np.random.randn``), placed on each backend, and the results compared with the printed
values (8 decimals). Sources: "Building your Deep Neural Network: Step by Step" (test cases of
``testCases_v4a.py``), "Regularization", "Optimization methods" and "Gradient Checking" of the
deeplearning.ai courses. Then the course layer is checked against xpnet's own backward pass and
finite differences, and its errors.
"""

import numpy as np
import pytest

import xpnet
import xpnet.course as course
from tests.conftest import host

PRINTED = dict(atol=5e-8, rtol=0)  # the notebooks print 8 decimals


def _draw(seed, shapes):
    """The course's ``np.random.seed(seed)`` followed by one ``randn`` per shape."""
    rs = np.random.RandomState(seed)
    return tuple(rs.randn(*s) for s in shapes)


def _params(arrays, names=("W1", "b1", "W2", "b2", "W3", "b3")):
    return dict(zip(names, arrays, strict=False))


def _on(backend, tree):
    """NumPy arrays or nested lists of numbers (in dicts, tuples, lists of tuples) placed on
    ``backend`` in float64."""
    if isinstance(tree, dict):
        return {k: _on(backend, v) for k, v in tree.items()}
    if isinstance(tree, tuple) or (isinstance(tree, list) and isinstance(tree[0], tuple)):
        return type(tree)(_on(backend, v) for v in tree)
    return backend.asarray(np.asarray(tree, dtype=float), "float64")


def _close(actual, expected):
    np.testing.assert_allclose(host(actual), np.asarray(expected, dtype=float), **PRINTED)


# -- Step by step (Neural Networks and Deep Learning, week 4) ------------------------------------


def test_initialize_parameters_deep_draws_as_the_course():
    p = course.initialize_parameters_deep([5, 4, 3])
    _close(p["W1"], [[0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
                     [-0.00354759, -0.00082741, -0.00627001, -0.00043818, -0.00477218],
                     [-0.01313865, 0.00884622, 0.00881318, 0.01709573, 0.00050034],
                     [-0.00404677, -0.0054536, -0.01546477, 0.00982367, -0.01101068]])
    _close(p["W2"], [[-0.01185047, -0.0020565, 0.01486148, 0.00236716],
                     [-0.01023785, -0.00712993, 0.00625245, -0.00160513],
                     [-0.00768836, -0.00230031, 0.00745056, 0.01976111]])
    _close(p["b1"], np.zeros((4, 1)))
    _close(p["b2"], np.zeros((3, 1)))
    two = course.initialize_parameters(3, 2, 1)
    _close(two["W1"], [[0.01624345, -0.00611756, -0.00528172],
                       [-0.01072969, 0.00865408, -0.02301539]])
    _close(two["W2"], [[0.01744812, -0.00761207]])


def test_course_draws_leave_numpys_global_random_state_alone():
    # the legacy global generator is what a student's own code would be using
    before = np.random.get_state()  # noqa: NPY002
    course.initialize_parameters_deep([3, 2, 1])
    course.random_mini_batches(np.ones((2, 10)), np.ones((1, 10)), 4, seed=7)
    course.forward_propagation_with_dropout(np.ones((3, 4)), course.initialize_parameters_deep(
        [3, 2, 2, 1]), keep_prob=0.5)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0] and before[2:] == after[2:]
    np.testing.assert_array_equal(before[1], after[1])


def test_linear_forward(backend):
    A, W, b = _on(backend, _draw(1, [(3, 2), (1, 3), (1, 1)]))
    Z, cache = course.linear_forward(A, W, b)
    _close(Z, [[3.26295337, -1.23429987]])
    assert cache[0] is A and cache[1] is W and cache[2] is b


def test_linear_activation_forward(backend):
    A_prev, W, b = _on(backend, _draw(2, [(3, 2), (1, 3), (1, 1)]))
    A, ((a, w, bb), Z) = course.linear_activation_forward(A_prev, W, b, "sigmoid")
    _close(A, [[0.96890023, 0.11013289]])
    _close(Z, host(W) @ host(A_prev) + host(b))
    A, _ = course.linear_activation_forward(A_prev, W, b, "relu")
    _close(A, [[3.43896131, 0.0]])


def test_L_model_forward_two_hidden_layers(backend):
    arrays = _draw(6, [(5, 4), (4, 5), (4, 1), (3, 4), (3, 1), (1, 3), (1, 1)])
    X, params = _on(backend, arrays[0]), _on(backend, _params(arrays[1:]))
    AL, caches = course.L_model_forward(X, params)
    _close(AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]])
    assert len(caches) == 3
    (A_prev, W, b), Z = caches[0]
    assert A_prev is X and W is params["W1"] and b is params["b1"]


def test_compute_cost(backend):
    Y, AL = _on(backend, ([[1, 1, 0]], [[0.8, 0.9, 0.4]]))
    assert course.compute_cost(AL, Y) == pytest.approx(0.2797765635793422, rel=1e-14)


def test_linear_backward(backend):
    dZ, A, W, b = _on(backend, _draw(1, [(3, 4), (5, 4), (3, 5), (3, 1)]))
    dA_prev, dW, db = course.linear_backward(dZ, (A, W, b))
    _close(dA_prev, [[-1.15171336, 0.06718465, -0.3204696, 2.09812712],
                     [0.60345879, -3.72508701, 5.81700741, -3.84326836],
                     [-0.4319552, -1.30987417, 1.72354705, 0.05070578],
                     [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
                     [-2.52214926, 2.67882552, -0.67947465, 1.48119548]])
    _close(dW, [[0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
                [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
                [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907]])
    _close(db, [[-0.14713786], [-0.11313155], [-0.13209101]])


def test_linear_activation_backward(backend):
    dA, A, W, b, Z = _on(backend, _draw(2, [(1, 2), (3, 2), (1, 3), (1, 1), (1, 2)]))
    dA_prev, dW, db = course.linear_activation_backward(dA, ((A, W, b), Z), "sigmoid")
    _close(dA_prev, [[0.11017994, 0.01105339], [0.09466817, 0.00949723],
                     [-0.05743092, -0.00576154]])
    _close(dW, [[0.10266786, 0.09778551, -0.01968084]])
    _close(db, [[-0.05729622]])
    dA_prev, dW, db = course.linear_activation_backward(dA, ((A, W, b), Z), "relu")
    _close(dA_prev, [[0.44090989, 0.0], [0.37883606, 0.0], [-0.2298228, 0.0]])
    _close(dW, [[0.44513824, 0.37371418, -0.10478989]])
    _close(db, [[-0.20837892]])


def test_L_model_backward(backend):
    rs = np.random.RandomState(3)
    AL = rs.randn(1, 2)
    caches = []
    for shapes in ([(4, 2), (3, 4), (3, 1), (3, 2)], [(3, 2), (1, 3), (1, 1), (1, 2)]):
        A, W, b, Z = (rs.randn(*s) for s in shapes)
        caches.append(((A, W, b), Z))
    grads = course.L_model_backward(_on(backend, AL), _on(backend, [[1, 0]]),
                                    _on(backend, caches))
    assert set(grads) == {"dA0", "dA1", "dW1", "dW2", "db1", "db2"}
    _close(grads["dA0"], [[0.0, 0.52257901], [0.0, -0.3269206], [0.0, -0.32070404],
                          [0.0, -0.74079187]])
    _close(grads["dA1"], [[0.12913162, -0.44014127], [-0.14175655, 0.48317296],
                          [0.01663708, -0.05670698]])
    _close(grads["dW1"], [[0.41010002, 0.07807203, 0.13798444, 0.10502167],
                          [0.0, 0.0, 0.0, 0.0],
                          [0.05283652, 0.01005865, 0.01777766, 0.0135308]])
    _close(grads["dW2"], [[-0.39202432, -0.13325855, -0.04601089]])
    _close(grads["db1"], [[-0.22007063], [0.0], [-0.02835349]])
    _close(grads["db2"], [[0.15187861]])


def test_update_parameters(backend):
    params = _params(_draw(2, [(3, 4), (3, 1), (1, 3), (1, 1)]))
    grads = _params(_draw(3, [(3, 4), (3, 1), (1, 3), (1, 1)]), ("dW1", "db1", "dW2", "db2"))
    new = course.update_parameters(_on(backend, params), _on(backend, grads), 0.1)
    _close(new["W1"], [[-0.59562069, -0.09991781, -2.14584584, 1.82662008],
                       [-1.76569676, -0.80627147, 0.51115557, -1.18258802],
                       [-1.0535704, -0.86128581, 0.68284052, 2.20374577]])
    _close(new["b1"], [[-0.04659241], [-1.28888275], [0.53405496]])
    _close(new["W2"], [[-0.55569196, 0.0354055, 1.32964895]])
    _close(new["b2"], [[-0.84610769]])


# -- Regularization (Improving Deep Neural Networks, week 1) -------------------------------------

SHAPES_3LAYER = [(2, 3), (2, 1), (3, 2), (3, 1), (1, 3), (1, 1)]


def _regularization_case(backend):
    """The regularization notebook's X (3, 5) and parameters, all from ``np.random.seed(1)``."""
    arrays = _draw(1, [(3, 5), *SHAPES_3LAYER])
    return (_on(backend, arrays[0]), _on(backend, _params(arrays[1:])),
            _on(backend, [[1, 1, 0, 1, 0]]))


def test_compute_cost_with_regularization(backend):
    params = _on(backend, _params(_draw(1, SHAPES_3LAYER)))
    a3 = _on(backend, [[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    cost = course.compute_cost_with_regularization(a3, _on(backend, [[1, 1, 0, 1, 0]]), params,
                                                   lambd=0.1)
    assert cost == pytest.approx(1.78648594516, abs=1e-11)


def test_backward_propagation_with_regularization(backend):
    X, params, Y = _regularization_case(backend)
    A3, cache = course.forward_propagation(X, params)
    assert len(cache) == 12
    # the test case's cache is this forward pass (its A3 is the notebook's literal)
    _close(A3, [[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    _close(cache[0][0, :], [-1.52855314, 3.32524635, 2.13994541, 2.60700654, -0.75942115])
    grads = course.backward_propagation_with_regularization(X, Y, cache, lambd=0.7)
    _close(grads["dW1"], [[-0.25604646, 0.12298827, -0.28297129],
                          [-0.17706303, 0.34536094, -0.4410571]])
    _close(grads["dW2"], [[0.79276486, 0.85133918], [-0.0957219, -0.01720463],
                          [-0.13100772, -0.03750433]])
    _close(grads["dW3"], [[-1.77691347, -0.11832879, -0.09397446]])


def test_forward_propagation_with_dropout(backend):
    X, params, _ = _regularization_case(backend)
    A3, cache = course.forward_propagation_with_dropout(X, params, keep_prob=0.7)
    _close(A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]])
    assert len(cache) == 14


def test_backward_propagation_with_dropout(backend):
    # the notebook's cache: masks of this forward pass with keep_prob 0.5, read back with 0.8
    X, params, Y = _regularization_case(backend)
    _, cache = course.forward_propagation_with_dropout(X, params, keep_prob=0.5)
    _close(cache[1], [[1, 0, 1, 1, 1], [1, 1, 1, 1, 0]])
    _close(cache[6], [[1, 0, 1, 0, 1], [0, 1, 0, 1, 1], [0, 0, 1, 0, 0]])
    grads = course.backward_propagation_with_dropout(X, Y, cache, keep_prob=0.8)
    _close(grads["dA1"], [[0.36544439, 0.0, -0.00188233, 0.0, -0.17408748],
                          [0.65515713, 0.0, -0.00337459, 0.0, -0.0]])
    _close(grads["dA2"], [[0.58180856, 0.0, -0.00299679, 0.0, -0.27715731],
                          [0.0, 0.53159854, -0.0, 0.53159854, -0.34089673],
                          [0.0, 0.0, -0.00292733, 0.0, -0.0]])


# -- Optimization methods (Improving Deep Neural Networks, week 2) -------------------------------

SHAPES_OPT = [(2, 3), (2, 1), (3, 3), (3, 1)]


def _optimization_case(backend):
    arrays = _draw(1, SHAPES_OPT + SHAPES_OPT)
    return (_on(backend, _params(arrays[:4])),
            _on(backend, _params(arrays[4:], ("dW1", "db1", "dW2", "db2"))))


def test_update_parameters_with_gd(backend):
    params, grads = _optimization_case(backend)
    new = course.update_parameters_with_gd(params, grads, 0.01)
    _close(new["W1"], [[1.63535156, -0.62320365, -0.53718766],
                       [-1.07799357, 0.85639907, -2.29470142]])
    _close(new["b1"], [[1.74604067], [-0.75184921]])
    _close(new["W2"], [[0.32171798, -0.25467393, 1.46902454],
                       [-2.05617317, -0.31554548, -0.3756023],
                       [1.1404819, -1.09976462, -0.1612551]])
    _close(new["b2"], [[-0.88020257], [0.02561572], [0.57539477]])


def test_random_mini_batches(backend):
    rs = np.random.RandomState(1)
    X = rs.randn(12288, 148)
    Y = rs.randn(1, 148) < 0.5
    batches = course.random_mini_batches(_on(backend, X), _on(backend, Y), 64)
    assert [tuple(b[0].shape) for b in batches] == [(12288, 64), (12288, 64), (12288, 20)]
    assert [tuple(b[1].shape) for b in batches] == [(1, 64), (1, 64), (1, 20)]
    _close(batches[0][0][0, 0:3], [0.90085595, -0.7612069, 0.2344157])
    # the same partition as the course's code: seed, permutation, blocks
    order = np.random.RandomState(0).permutation(148)
    np.testing.assert_array_equal(host(batches[2][1]), Y[:, order[128:]].astype(float))


def test_initialize_velocity_and_adam(backend):
    params, _ = _optimization_case(backend)
    v = course.initialize_velocity(params)
    assert list(v) == ["dW1", "db1", "dW2", "db2"]
    assert all(not host(v[k]).any() and v[k].shape == params[k[1:]].shape for k in v)
    v, s = course.initialize_adam(params)
    assert list(v) == list(s) == ["dW1", "db1", "dW2", "db2"]


V_AFTER_ONE_STEP = {
    "dW1": [[-0.11006192, 0.11447237, 0.09015907], [0.05024943, 0.09008559, -0.06837279]],
    "db1": [[-0.01228902], [-0.09357694]],
    "dW2": [[-0.02678881, 0.05303555, -0.06916608], [-0.03967535, -0.06871727, -0.08452056],
            [-0.06712461, -0.00126646, -0.11173103]],
    "db2": [[0.02344157], [0.16598022], [0.07420442]],
}


def test_update_parameters_with_momentum(backend):
    params, grads = _optimization_case(backend)
    new, v = course.update_parameters_with_momentum(params, grads,
                                                    course.initialize_velocity(params), beta=0.9,
                                                    learning_rate=0.01)
    _close(new["W1"], [[1.62544598, -0.61290114, -0.52907334],
                       [-1.07347112, 0.86450677, -2.30085497]])
    _close(new["b1"], [[1.74493465], [-0.76027113]])
    _close(new["W2"], [[0.31930698, -0.24990073, 1.4627996],
                       [-2.05974396, -0.32173003, -0.38320915],
                       [1.13444069, -1.0998786, -0.1713109]])
    _close(new["b2"], [[-0.87809283], [0.04055394], [0.58207317]])
    for key, expected in V_AFTER_ONE_STEP.items():
        _close(v[key], expected)


def test_update_parameters_with_adam(backend):
    params, grads = _optimization_case(backend)
    v, s = course.initialize_adam(params)
    new, v, s, v_corrected, s_corrected = course.update_parameters_with_adam(params, grads, v, s,
                                                                             t=2)
    _close(new["W1"], [[1.63178673, -0.61919778, -0.53561312],
                       [-1.08040999, 0.85796626, -2.29409733]])
    _close(new["b1"], [[1.75225313], [-0.75376553]])
    # the notebook's table says -1.09245036 and -0.88529978 where its own run prints these
    _close(new["W2"], [[0.32648046, -0.25681174, 1.46954931],
                       [-2.05269934, -0.31497584, -0.37661299],
                       [1.14121081, -1.09244991, -0.16498684]])
    _close(new["b2"], [[-0.88529979], [0.03477238], [0.57537385]])
    for key, expected in V_AFTER_ONE_STEP.items():
        _close(v[key], expected)
    _close(s["dW1"], [[0.00121136, 0.00131039, 0.00081287], [0.0002525, 0.00081154, 0.00046748]])
    _close(s["db1"], [[1.51020075e-05], [8.75664434e-04]])
    _close(s["dW2"], [[7.17640232e-05, 2.81276921e-04, 4.78394595e-04],
                      [1.57413361e-04, 4.72206320e-04, 7.14372576e-04],
                      [4.50571368e-04, 1.60392066e-07, 1.24838242e-03]])
    for key in v:
        _close(v_corrected[key], host(v[key]) / (1 - 0.9**2))
        _close(s_corrected[key], host(s[key]) / (1 - 0.999**2))


# -- the course layer is the core: consistency checks --------------------------------------------


def _net(backend, dims=(4, 5, 3, 1), m=6, seed=0):
    rng = np.random.default_rng(seed)
    params = xpnet.initialize_parameters(list(dims), "xavier", seed=seed, dtype="float64",
                                         backend=backend)
    X = backend.asarray(rng.standard_normal((dims[0], m)), "float64")
    Y = backend.asarray((rng.random((dims[-1], m)) > 0.5).astype(float), "float64")
    return params, X, Y


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_L_model_backward_matches_xpnet_backward(backend, hidden):
    params, X, Y = _net(backend)
    acts = [hidden, hidden, "sigmoid"]
    AL, caches = course.L_model_forward(X, params, acts)
    grads = course.L_model_backward(AL, Y, caches, acts)
    AL2, core_caches = xpnet.forward(X, params, acts)
    core = xpnet.backward(AL2, Y, core_caches, acts, return_dX=True)
    _close(AL, host(AL2))
    m = X.shape[1]
    for key, value in core.items():
        # the course's dA are per example (the summed loss's); dW and db are the mean cost's
        scale = m if key.startswith("dA") else 1
        np.testing.assert_allclose(host(grads[key]), scale * host(value), rtol=1e-10, atol=1e-12)


def test_softmax_output_backward_matches_xpnet_backward(backend):
    params, X, _ = _net(backend, dims=(4, 5, 3))
    labels = np.random.default_rng(1).integers(0, 3, 6)
    Y = backend.asarray(np.eye(3)[:, labels], "float64")
    AL, caches = course.L_model_forward(X, params, ["relu", "softmax"])
    grads = course.L_model_backward(AL, Y, caches, ["relu", "softmax"])
    core = xpnet.backward(AL, Y, xpnet.forward(X, params, ["relu", "softmax"])[1],
                          ["relu", "softmax"])
    for key, value in core.items():
        np.testing.assert_allclose(host(grads[key]), host(value), rtol=1e-10, atol=1e-12)


def test_regularized_backward_matches_xpnet_backward(backend):
    params, X, Y = _net(backend)
    AL, cache = course.forward_propagation(X, params)
    grads = course.backward_propagation_with_regularization(X, Y, cache, lambd=0.7)
    core = xpnet.backward(AL, Y, xpnet.forward(X, params, ["relu", "relu", "sigmoid"])[1],
                          ["relu", "relu", "sigmoid"], lambd=0.7)
    for key, value in core.items():
        np.testing.assert_allclose(host(grads[key]), host(value), rtol=1e-10, atol=1e-12)
    cost = course.compute_cost_with_regularization(AL, Y, params, 0.7)
    assert cost == pytest.approx(xpnet.compute_cost(AL, Y, params=params, lambd=0.7))


def test_dropout_backward_is_the_gradient_of_the_masked_forward():
    """With given masks the dropout net is a fixed function of the parameters: its gradient
    must be the central differences of the course's cost."""
    np_backend = xpnet.get_backend("numpy")
    params, X, Y = _net(np_backend, dims=(3, 4, 4, 1), m=5, seed=3)
    rng = np.random.default_rng(4)
    # biases away from 0: a column whose inputs are all dropped has Z = b, and at b = 0 the
    # finite differences would straddle the ReLU's kink
    params = {k: P + rng.standard_normal(P.shape) if k[0] == "b" else P
              for k, P in params.items()}
    masks = [(rng.random((4, 5)) < 0.7).astype(float) for _ in range(2)]
    keep = 0.7

    def cost(p):
        AL, _ = course.forward_propagation_with_dropout(X, p, keep, masks=masks)
        return course.compute_cost(AL, Y)

    AL, cache = course.forward_propagation_with_dropout(X, params, keep, masks=masks)
    grads = course.backward_propagation_with_dropout(X, Y, cache, keep)
    eps = 1e-6
    for key, P in params.items():
        approx = np.zeros(P.shape)
        for idx in np.ndindex(*P.shape):
            bump = np.zeros(P.shape)
            bump[idx] = eps
            approx[idx] = (cost({**params, key: P + bump}) - cost({**params, key: P - bump})) \
                / (2 * eps)
        np.testing.assert_allclose(grads["d" + key], approx, rtol=1e-5, atol=1e-9)


def test_dropout_masks_can_be_given_as_the_course_caches_them():
    backend = xpnet.get_backend("numpy")
    X, params, _ = _regularization_case(backend)
    _, drawn = course.forward_propagation_with_dropout(X, params, keep_prob=0.5)
    masks = [drawn[1].astype(bool), drawn[6].astype(bool)]  # the course's test cache has bools
    A3, given = course.forward_propagation_with_dropout(X, params, keep_prob=0.5, masks=masks)
    for a, b in zip(drawn, given, strict=True):
        np.testing.assert_array_equal(a, b)


def test_gradient_check_n_reproduces_the_notebook():
    """The notebook's backward_propagation_n has two planted bugs (dW2 doubled, db1 ×4);
    gradient checking finds them, and names them."""
    rs = np.random.RandomState(1)
    X = rs.randn(4, 3)
    Y = np.array([1, 1, 0])  # 1-D, as the course passes it
    params = _params([rs.randn(*s) for s in [(5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1)]])
    _, cache = course.forward_propagation(X, params)
    grads = course.backward_propagation_with_regularization(X, Y[None, :], cache, lambd=0.0)
    buggy = {**grads, "dW2": grads["dW2"] * 2, "db1": grads["db1"] * 4}
    # the notebook prints 0.2850931567761624 from its cost in log(A3); xpnet's is from the logits
    assert course.gradient_check_n(params, buggy, X, Y, 1e-7) == pytest.approx(
        0.2850931567761624, rel=1e-6)
    assert course.gradient_check_n(params, grads, X, Y) < 1e-7


def test_gradient_check_n_prints_which_parameters_are_off(capsys):
    params, X, Y = _net(xpnet.get_backend("numpy"))
    AL, caches = course.L_model_forward(X, params)
    grads = course.L_model_backward(AL, Y, caches)
    course.gradient_check_n(params, grads, X, Y, print_msg=True)
    assert "match" in capsys.readouterr().out
    course.gradient_check_n(params, {**grads, "db2": -grads["db2"]}, X, Y, print_msg=True)
    out = capsys.readouterr().out
    assert "mistake" in out and "b2" in out and "W1" not in out


# -- errors ---------------------------------------------------------------------------------------


def test_errors_name_the_argument():
    A, W, b = np.ones((3, 2)), np.ones((1, 4)), np.ones((1, 1))
    with pytest.raises(ValueError, match=r"W has shape \(1, 4\) but A has 3 rows"):
        course.linear_forward(A, W, b)
    with pytest.raises(ValueError, match=r"b has shape \(2, 1\), expected \(1, 1\)"):
        course.linear_forward(A, np.ones((1, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"dZ has shape \(2, 2\)"):
        course.linear_backward(np.ones((2, 2)), (A, np.ones((1, 3)), b))
    with pytest.raises(TypeError, match="cache must be the"):
        course.linear_backward(np.ones((1, 2)), [A, W])
    with pytest.raises(ValueError, match="unknown|not known"):
        course.linear_activation_forward(A, np.ones((1, 3)), b, "rleu")
    with pytest.raises(TypeError, match="caches must be"):
        course.L_model_backward(np.full((1, 2), 0.5), np.ones((1, 2)), None)


def test_L_model_backward_refuses_outputs_of_exactly_zero_or_one():
    params, X, Y = _net(xpnet.get_backend("numpy"))
    AL, caches = course.L_model_forward(X, params)
    AL = AL.copy()
    AL[0, 0] = 1.0
    with pytest.raises(ValueError, match="divides by zero"):
        course.L_model_backward(AL, Y, caches)


def test_optimizer_state_and_step_are_checked():
    params, grads = _optimization_case(xpnet.get_backend("numpy"))
    v = course.initialize_velocity(params)
    del v["db2"]
    with pytest.raises(ValueError, match="v has no 'db2'"):
        course.update_parameters_with_momentum(params, grads, v, 0.9, 0.01)
    v, s = course.initialize_adam(params)
    with pytest.raises(ValueError, match="t must be >= 1"):
        course.update_parameters_with_adam(params, grads, v, s, t=0)
    with pytest.raises(ValueError, match="grads has no 'dW1'"):
        course.update_parameters(params, {}, 0.1)


def test_dropout_masks_are_checked():
    backend = xpnet.get_backend("numpy")
    X, params, _ = _regularization_case(backend)
    with pytest.raises(ValueError, match="masks must be a list of the 2"):
        course.forward_propagation_with_dropout(X, params, 0.5, masks=[np.ones((2, 5))])
    with pytest.raises(ValueError, match=r"masks\[1\] \(D2\) has shape"):
        course.forward_propagation_with_dropout(X, params, 0.5,
                                                masks=[np.ones((2, 5)), np.ones((2, 5))])
    with pytest.raises(ValueError, match="0/1"):
        course.forward_propagation_with_dropout(X, params, 0.5,
                                                masks=[np.ones((2, 5)), np.full((3, 5), 0.5)])
    _, cache = course.forward_propagation(X, params)
    with pytest.raises(ValueError, match="AL has 5 columns .* but X has 3"):
        course.backward_propagation_with_regularization(X[:, :3], np.ones((1, 5)), cache, 0.1)
    with pytest.raises(TypeError, match="cache must be the tuple forward_propagation_with_dropout"):
        course.backward_propagation_with_dropout(X, np.ones((1, 5)), (1, 2, 3), 0.5)


# -- the README's example -------------------------------------------------------------------------


def test_readme_example_runs_and_prints_what_the_readme_says(capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The course's building blocks", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    printed = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == printed
