"""The course-style baseline: the deeplearning.ai assignment code's structure, in float64.

What our users are replacing, kept as the course writes it: parameters in a dict, a
``(linear_cache, activation_cache)`` per layer with ``linear_cache = (A_prev, W, b)``, the cost
and ``dAL`` from the probabilities, the gradient of every layer's input including ``X``, the
whole training set reshuffled into new arrays every epoch (``random_mini_batches``), and a Python
loop over the parameter names for the update. Only the structure is the course's: the random
numbers come from :class:`xpnet.rng.RandomState`, so with the same seed the initial weights and
the batch order are xpnet's, and the costs agree with xpnet's to round-off (a test checks it).
"""

from __future__ import annotations

import numpy as np

from ..rng import RandomState
from .cases import Case, make_data


def initialize_parameters_deep(layer_dims, rng):
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):  # noqa: E741 (the course's name)
        parameters["W" + str(l)] = rng.normal((layer_dims[l], layer_dims[l - 1])) * np.sqrt(
            2.0 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True), Z


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = {"relu": relu, "sigmoid": sigmoid, "softmax": softmax}[activation](Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters, output):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):  # noqa: E741
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)],
                                          output)
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y, output):
    """The summed cross-entropy of the mini-batch (the course's optimisation notebook sums,
    and divides by m once per epoch)."""
    if output == "softmax":
        return -np.sum(Y * np.log(AL))
    return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1.0 / m * np.dot(dZ, A_prev.T)
    db = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches, output):
    grads = {}
    L = len(caches)
    current_cache = caches[L - 1]
    if output == "softmax":  # dZ = AL - Y; linear_backward divides by m
        dA_prev, dW, db = linear_backward(AL - Y, current_cache[0])
    else:
        dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        dA_prev, dW, db = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(L - 1)):  # noqa: E741
        current_cache = caches[l]
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], current_cache,
                                                     "relu")
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):  # noqa: E741
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads[
            "dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads[
            "db" + str(l + 1)]
    return parameters


def initialize_adam(parameters):
    L = len(parameters) // 2
    v, s = {}, {}
    for l in range(L):  # noqa: E741
        for p in ("W", "b"):
            v["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
            s["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(L):  # noqa: E741
        for p in ("W", "b"):
            key = "d" + p + str(l + 1)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - beta1**t)
            s[key] = beta2 * s[key] + (1 - beta2) * np.square(grads[key])
            s_corrected[key] = s[key] / (1 - beta2**t)
            parameters[p + str(l + 1)] = parameters[p + str(l + 1)] - learning_rate * v_corrected[
                key] / (np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s


def random_mini_batches(X, Y, mini_batch_size, permutation):
    m = X.shape[1]
    mini_batches = []
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    for k in range(0, m, mini_batch_size):
        mini_batches.append((shuffled_X[:, k:k + mini_batch_size],
                             shuffled_Y[:, k:k + mini_batch_size]))
    return mini_batches


class CourseStyleRunner:
    """One epoch of the course's ``model(...)`` loop, float64."""

    def __init__(self, case: Case, seed: int = 0) -> None:
        data = make_data(case, seed)
        self.X = data.X_course.astype(np.float64)  # (n_x, m), F-ordered like the course's
        self.Y = data.Y.astype(np.float64)
        self.rng = RandomState(seed)
        self.parameters = initialize_parameters_deep(list(case.layer_dims), self.rng)
        self.v, self.s = initialize_adam(self.parameters)
        self.t = 0
        self.case = case

    def epoch(self) -> float:
        case, m = self.case, self.case.m
        if case.batch < m:
            batches = random_mini_batches(self.X, self.Y, case.batch, self.rng.permutation(m))
        else:
            batches = [(self.X, self.Y)]
        cost_total = 0.0
        for minibatch_X, minibatch_Y in batches:
            AL, caches = L_model_forward(minibatch_X, self.parameters, case.output)
            cost_total += compute_cost(AL, minibatch_Y, case.output)
            grads = L_model_backward(AL, minibatch_Y, caches, case.output)
            if case.optimizer == "adam":
                self.t = self.t + 1
                self.parameters, self.v, self.s = update_parameters_with_adam(
                    self.parameters, grads, self.v, self.s, self.t, case.learning_rate)
            else:
                self.parameters = update_parameters(self.parameters, grads, case.learning_rate)
        return float(cost_total) / m
