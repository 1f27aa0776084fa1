package com.example.kws

import org.json.JSONArray
import org.json.JSONObject

/**
 * A streaming keyword spotter's step file run one 20 ms frame per call (the
 * Kotlin twin of zoo/models/kws/frames.py `FrameStream`). [run] is one step: the
 * stock [StreamStep] for a single-layout step file (one signature, one invoke), or
 * [PlanRunner]'s `run` for a stepped one. The plan's inputs are `[frame, state..]`, its
 * outputs `[probabilities, next state..]` in the same state order, so after each call
 * the outputs 1.. become the inputs 1.. .
 *
 * The initial state is read from assets/kws_stream_state.json (written by
 * android_demo/prepare.py from the Python `silence_state`: zeros, and the log-mel
 * of silence for the mel tail), not recomputed here:
 * `{"names": [...], "roles": [...], "shapes": [[...], ...], "data": [[...], ...]}`.
 *
 * Not thread-safe: call from the thread that owns the runner.
 */
class FrameStreamRunner(
    private val run: (List<FloatTensor>) -> List<FloatTensor>,
    plan: JSONObject,
    state: JSONObject,
) {

    val frameSamples: Int
    private val stateShapes: List<IntArray>
    private val initial: List<FloatArray>
    private var current: List<FloatTensor>

    /** Frames run since the last [reset]. */
    var frames = 0L
        private set

    init {
        val inputs = plan.getJSONArray("inputs")
        val outputs = plan.getJSONArray("outputs")
        val shapes = plan.getJSONArray("input_shapes")
        require(inputs.length() >= 2 && outputs.length() == inputs.length()) {
            "not a one-frame step plan: ${inputs.length()} inputs, ${outputs.length()} outputs"
        }
        frameSamples = dims(shapes.getJSONArray(0)).fold(1) { a, b -> a * b }
        require(frameSamples == ModelContract.FRAME_SAMPLES) {
            "the step takes $frameSamples-sample frames; this app feeds ${ModelContract.FRAME_SAMPLES}"
        }
        val names = state.getJSONArray("names")
        val data = state.getJSONArray("data")
        val roles = state.getJSONArray("roles")
        val nState = inputs.length() - 1
        require(names.length() == nState && data.length() == nState && roles.length() == nState) {
            "${ModelContract.STREAM_STATE_ASSET} holds ${data.length()} arrays; the plan has $nState state inputs"
        }
        require(nState <= ModelContract.STREAM_STATE_ROLES.size) { "unexpected state inputs: $nState" }
        stateShapes = List(nState) { intArrayOf(1, *dims(shapes.getJSONArray(it + 1))) }
        initial = List(nState) { i ->
            require(names.getString(i) == inputs.getString(i + 1)) {
                "state $i is ${names.getString(i)}; the plan's input is ${inputs.getString(i + 1)}"
            }
            require(roles.getString(i) == ModelContract.STREAM_STATE_ROLES[i]) {
                "state $i is the ${roles.getString(i)}; this app expects ${ModelContract.STREAM_STATE_ROLES[i]}"
            }
            val values = data.getJSONArray(i)
            val size = stateShapes[i].fold(1) { a, b -> a * b }
            require(values.length() == size) {
                "initial state $i has ${values.length()} values; ${inputs.getString(i + 1)} takes $size"
            }
            FloatArray(size) { values.getDouble(it).toFloat() }
        }
        current = fresh()
    }

    /** Back to the initial state (silence). */
    fun reset() {
        current = fresh()
        frames = 0
    }

    /** Probabilities after one frame of [frameSamples] samples; the state is carried. */
    fun step(frame: FloatArray): FloatArray {
        require(frame.size == frameSamples) { "a frame has $frameSamples samples; got ${frame.size}" }
        val outs = run(listOf(FloatTensor(intArrayOf(1, frameSamples), frame)) + current)
        check(outs.size == current.size + 1) { "the step returned ${outs.size} outputs" }
        current = List(current.size) { i ->
            val next = outs[i + 1]
            check(next.data.size == current[i].data.size) {
                "output ${i + 1} has ${next.data.size} values; state $i takes ${current[i].data.size}"
            }
            FloatTensor(stateShapes[i], next.data)
        }
        frames += 1
        return outs[0].data
    }

    private fun fresh(): List<FloatTensor> = List(initial.size) { FloatTensor(stateShapes[it], initial[it].copyOf()) }

    private companion object {
        /** A shape without its batch axis (null in the plan). */
        fun dims(shape: JSONArray): IntArray {
            val from = if (shape.isNull(0)) 1 else 0
            return IntArray(shape.length() - from) { shape.getInt(it + from) }
        }
    }
}
