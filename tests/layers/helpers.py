"""Checks every attention layer must pass, shared by the layer tests."""

import keras
import numpy as np


def first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def layer_gradients(layer, *args, **kwargs):
    """Gradients of a scalar of the layer's (first) output w.r.t. its trainable
    weights, on the running backend."""
    first(layer(*args, **kwargs))  # build
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(first(layer(*args, **kwargs))))
        grads = tape.gradient(loss, [v.value for v in layer.trainable_variables])
        return [None if g is None else np.asarray(g) for g in grads]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]

        def loss(tv):
            out, _ = layer.stateless_call(tv, fixed, *args, **kwargs)
            return jnp.sum(jnp.square(first(out)))

        return [np.asarray(g) for g in jax.grad(loss)(trainable)]
    raise NotImplementedError(backend)


def assert_gradients_flow(layer, *args, zero_gradient=(), **kwargs):
    """Every trainable weight gets a finite, non-zero gradient, except those
    whose path ends with one of `zero_gradient`: weights with a gradient of 0
    in exact arithmetic (e.g. a key bias, which the softmax cancels), checked
    to be negligible instead."""
    grads = layer_gradients(layer, *args, **kwargs)
    assert layer.trainable_variables, "layer has no trainable weights"
    scale = max(float(np.max(np.abs(g))) for g in grads if g is not None)
    for var, grad in zip(layer.trainable_variables, grads):
        assert grad is not None, f"no gradient reaches {var.path}"
        assert np.all(np.isfinite(grad)), f"non-finite gradient for {var.path}"
        if var.path.endswith(tuple(zero_gradient)):
            assert np.all(np.abs(grad) <= 1e-4 * scale), f"non-zero gradient for {var.path}"
        else:
            assert np.any(grad != 0), f"zero gradient for {var.path}"


def input_gradients(layer, query, values, **kwargs):
    """Gradients of a scalar of the layer's (first) output w.r.t. `query` and
    `values`, on the running backend."""
    first(layer(query, values, **kwargs))  # build
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        query, values = tf.constant(query), tf.constant(values)
        with tf.GradientTape() as tape:
            tape.watch([query, values])
            loss = tf.reduce_sum(tf.square(first(layer(query, values, **kwargs))))
        return [None if g is None else np.asarray(g)
                for g in tape.gradient(loss, [query, values])]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]

        def loss(inputs):
            out, _ = layer.stateless_call(trainable, fixed, *inputs, **kwargs)
            return jnp.sum(jnp.square(first(out)))

        return [np.asarray(g) for g in jax.grad(loss)([jnp.asarray(query), jnp.asarray(values)])]
    raise NotImplementedError(backend)


def assert_input_gradients_flow(layer, query, values, **kwargs):
    for name, grad in zip(("query", "values"), input_gradients(layer, query, values, **kwargs)):
        assert grad is not None, f"no gradient reaches `{name}`"
        assert np.all(np.isfinite(grad)), f"non-finite gradient for `{name}`"
        assert np.any(grad != 0), f"zero gradient for `{name}`"


def assert_save_load_roundtrip(model, inputs, tmp_path, atol=0.0):
    """`model.save` to a `.keras` file, reload with safe_mode=True, compare."""
    expected = model.predict(inputs, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.models.load_model(path, safe_mode=True)
    got = restored.predict(inputs, verbose=0)
    for e, g in zip(keras.tree.flatten(expected), keras.tree.flatten(got)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=atol, rtol=0)
    return restored
