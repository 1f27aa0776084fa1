package com.example.kws

import org.json.JSONArray
import org.json.JSONObject
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor
import java.nio.ByteBuffer
import java.nio.ByteOrder
import kotlin.math.roundToInt

/** A float tensor of batch 1: row-major data and its shape. */
class FloatTensor(val shape: IntArray, val data: FloatArray) {
    init {
        require(shape.fold(1) { a, b -> a * b } == data.size) {
            "shape ${shape.contentToString()} does not hold ${data.size} values"
        }
    }
}

/**
 * Kotlin port of export/plan.py `run_plan`: runs a multi-signature .tflite
 * file made by `export.to_tflite` by calling its signatures in plan order and
 * looping the recurrent step signatures on the host (batch 1).
 *
 * In this app it runs stepped streaming step files only (assets/kws_stream.tflite,
 * `NAME.stream.MODE.tflite` of a stepped layout, e.g. `dynamic`, driven by
 * [FrameStreamRunner]; their plans are segments only). Single-layout files need no
 * plan: [WindowClassifier] (the window model) and [StreamStep] (the shipped float32 and
 * int8 step files) run them with the stock Interpreter.runSignature. The recurrent stages below serve stepped
 * files (e.g. the dynamic / int16x8 exports), which the app does not bundle.
 *
 * - "segment" stage: one signature call, inputs/outputs by tensor name.
 * - "recurrent" stage: per direction, the step signature
 *   `x, state0.. -> y, state0_out..` over the time axis (reversed for
 *   go_backwards); Bidirectional outputs are re-aligned in time and merged
 *   (concat / sum / mul / ave / none).
 *
 * Each signature's tensors (names, types, quantization) are looked up once and
 * its direct input/output buffers are reused by every call (see [Bound]); the
 * step loop writes x straight from the sequence, without per-step feed maps.
 *
 * Not thread-safe (one LiteRT Interpreter): call from one thread.
 */
class PlanRunner(model: ByteBuffer, private val plan: JSONObject, threads: Int = 2) : AutoCloseable {

    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))
    private val bound = HashMap<String, Bound>()

    init {
        val version = plan.getInt("version")
        require(version == ModelContract.PLAN_VERSION) {
            "plan version $version; this app runs version ${ModelContract.PLAN_VERSION}"
        }
        val keys = interpreter.signatureKeys.toSet()
        val missing = signatureKeys().filter { it !in keys }
        require(missing.isEmpty()) { "the model has no signature(s) $missing (it has $keys)" }
    }

    /** The signature keys the plan calls, in plan order. */
    fun signatureKeys(): List<String> {
        val out = mutableListOf<String>()
        for (stage in objects(plan.getJSONArray("stages"))) {
            when (stage.getString("kind")) {
                "segment" -> out += stage.getString("name")
                "recurrent" -> for (d in objects(stage.getJSONArray("directions"))) {
                    d.optJSONObject("init")?.let { out += it.getString("signature") }
                    out += d.getString("signature")
                }
                else -> throw IllegalArgumentException("unknown stage kind ${stage.getString("kind")}")
            }
        }
        return out
    }

    /** Run the model on one example; returns the outputs in plan order. */
    fun run(inputs: List<FloatTensor>): List<FloatTensor> {
        val names = strings(plan.getJSONArray("inputs"))
        require(names.size == inputs.size) { "expected ${names.size} input(s) $names" }
        val env = HashMap<String, FloatTensor>()
        names.zip(inputs).forEach { (n, t) -> env[n] = t }
        for (stage in objects(plan.getJSONArray("stages"))) {
            when (stage.getString("kind")) {
                "segment" -> {
                    val feed = HashMap<String, FloatTensor>()
                    for (n in strings(stage.getJSONArray("inputs"))) feed[n] = env.getValue(n)
                    // Keras masks travel beside their tensor as "<name>__mask".
                    for (n in optStrings(stage, "mask_inputs")) feed[n + MASK_SUFFIX] = env.getValue(n + MASK_SUFFIX)
                    val result = call(stage.getString("name"), feed)
                    for (n in strings(stage.getJSONArray("outputs"))) env[n] = result.getValue(n)
                    for (n in optStrings(stage, "mask_outputs")) env[n + MASK_SUFFIX] = result.getValue(n + MASK_SUFFIX)
                }
                "recurrent" -> {
                    val input = stage.getJSONArray("inputs").getString(0)
                    val sequence = env.getValue(input)
                    val mask = if (stage.optBoolean("masked", false)) env.getValue(input + MASK_SUFFIX) else null
                    val runs = objects(stage.getJSONArray("directions")).map { runDirection(it, sequence, env, mask) }
                    env.putAll(collectRecurrentOutputs(stage, runs))
                    if (mask != null && stage.getBoolean("return_sequences")) {
                        val outs = strings(stage.getJSONArray("outputs"))
                        val count = if (stage.isNull("output_split")) 1 else 2
                        for (n in outs.take(count)) env[n + MASK_SUFFIX] = mask
                    }
                }
                else -> throw IllegalArgumentException("unknown stage kind ${stage.getString("kind")}")
            }
        }
        return strings(plan.getJSONArray("outputs")).map { env.getValue(it) }
    }

    override fun close() = interpreter.close()

    // ------------------------------------------------------------ recurrent

    private class DirectionRun(val ys: List<FloatArray>, val states: List<FloatTensor>)

    private fun initialStates(direction: JSONObject, env: Map<String, FloatTensor>): List<FloatTensor> {
        val init = direction.optJSONObject("init")
        if (init != null) {
            val feed = strings(init.getJSONArray("inputs")).withIndex()
                .associate { (i, n) -> "${ModelContract.INIT_PREFIX}$i" to env.getValue(n) }
            val out = call(init.getString("signature"), feed)
            return List(out.size) { out.getValue("${ModelContract.STATE_PREFIX}$it") }
        }
        val given = direction.optJSONArray("initial_states")
        if (given != null && given.length() > 0) return strings(given).map { env.getValue(it) }
        val sizes = direction.getJSONArray("state_sizes")
        return List(sizes.length()) { FloatTensor(intArrayOf(1, sizes.getInt(it)), FloatArray(sizes.getInt(it))) }
    }

    /**
     * One direction of a recurrent stage. With a mask (1, steps), masked steps are not run:
     * the states stay and the output repeats the previous one (zeros before the first step,
     * or always zeros with "zero_output_for_mask"), as Keras and export/plan.py do.
     */
    private fun runDirection(
        direction: JSONObject, sequence: FloatTensor, env: Map<String, FloatTensor>, mask: FloatTensor?,
    ): DirectionRun {
        // sequence: (1, steps, features)
        val steps = sequence.shape[1]
        val features = sequence.data.size / steps
        val order = if (direction.getBoolean("go_backwards")) (steps - 1 downTo 0) else (0 until steps)
        var states = initialStates(direction, env)
        val signature = bound(direction.getString("signature"))
        val stateNames = List(states.size) { "${ModelContract.STATE_PREFIX}$it" }
        val ys = ArrayList<FloatArray?>(steps)
        var previous: FloatArray? = null
        fun step(t: Int): Map<String, FloatTensor> {
            signature.set(ModelContract.STEP_INPUT, sequence.data, t * features, features)
            states.forEachIndexed { i, s -> signature.set(stateNames[i], s.data) }
            return signature.run()
        }
        for (t in order) {
            if (mask != null && mask.data[t] < 0.5f) {
                ys += null
                continue
            }
            val out = step(t)
            previous = out.getValue(ModelContract.STEP_OUTPUT).data
            ys += previous
            states = List(states.size) {
                out.getValue("${ModelContract.STATE_PREFIX}$it${ModelContract.STATE_OUT_SUFFIX}")
            }
        }
        val size = previous?.size ?: step(0).getValue(ModelContract.STEP_OUTPUT).data.size
        val zeroOutput = direction.optBoolean("zero_output_for_mask", false)
        var last = FloatArray(size)
        val filled = ys.map { y ->
            if (y == null) (if (zeroOutput) FloatArray(size) else last) else y.also { last = it }
        }
        return DirectionRun(filled, states)
    }

    private fun collectRecurrentOutputs(stage: JSONObject, runs: List<DirectionRun>): Map<String, FloatTensor> {
        val outs = strings(stage.getJSONArray("outputs"))
        val directions = objects(stage.getJSONArray("directions"))
        val seqs = ArrayList<FloatTensor>()
        val lasts = ArrayList<FloatTensor>()
        val states = ArrayList<List<FloatTensor>>()
        directions.zip(runs).forEach { (d, run) ->
            val units = run.ys[0].size
            lasts += FloatTensor(intArrayOf(1, units), run.ys.last())
            // Bidirectional re-aligns the backward sequence in time.
            val ordered = if (directions.size == 2 && d.getBoolean("go_backwards")) run.ys.reversed() else run.ys
            val data = FloatArray(ordered.size * units)
            ordered.forEachIndexed { t, y -> y.copyInto(data, t * units) }
            seqs += FloatTensor(intArrayOf(1, ordered.size, units), data)
            states.add(run.states)
        }
        val chosen = if (stage.getBoolean("return_sequences")) seqs else lasts
        var main: List<FloatTensor> =
            if (chosen.size == 2) merge(chosen[0], chosen[1], stage.opt("merge_mode")) else listOf(chosen[0])
        if (!stage.isNull("output_split")) {  // AttentionRNN with alignments
            val split = stage.getInt("output_split")
            main = listOf(sliceLast(main[0], 0, split), sliceLast(main[0], split, main[0].shape.last()))
        }
        val values = ArrayList(main)
        if (stage.getBoolean("return_state")) {
            val mapping = stage.optJSONArray("final_states")
            for (st in states) {
                if (mapping == null) {
                    values += st
                } else {
                    for (pair in (0 until mapping.length()).map { mapping.getJSONArray(it) }) {
                        val s = st[pair.getInt(0)]
                        values += if (pair.isNull(1)) s else sliceLast(s, 0, pair.getInt(1))
                    }
                }
            }
        }
        check(values.size == outs.size) {
            "internal: stage ${stage.getString("name")} yields ${values.size} tensors for ${outs.size} outputs"
        }
        return outs.zip(values).toMap()
    }

    private fun merge(a: FloatTensor, b: FloatTensor, mode: Any?): List<FloatTensor> = when (mode) {
        "concat" -> listOf(concatLast(a, b))
        "sum" -> listOf(FloatTensor(a.shape, FloatArray(a.data.size) { a.data[it] + b.data[it] }))
        "mul" -> listOf(FloatTensor(a.shape, FloatArray(a.data.size) { a.data[it] * b.data[it] }))
        "ave" -> listOf(FloatTensor(a.shape, FloatArray(a.data.size) { (a.data[it] + b.data[it]) / 2f }))
        null, JSONObject.NULL -> listOf(a, b)
        else -> throw IllegalArgumentException("unsupported Bidirectional merge_mode $mode")
    }

    private fun concatLast(a: FloatTensor, b: FloatTensor): FloatTensor {
        val da = a.shape.last()
        val db = b.shape.last()
        val rows = a.data.size / da
        val out = FloatArray(rows * (da + db))
        for (r in 0 until rows) {
            a.data.copyInto(out, r * (da + db), r * da, (r + 1) * da)
            b.data.copyInto(out, r * (da + db) + da, r * db, (r + 1) * db)
        }
        return FloatTensor(a.shape.copyOf().also { it[it.size - 1] = da + db }, out)
    }

    private fun sliceLast(t: FloatTensor, from: Int, to: Int): FloatTensor {
        val d = t.shape.last()
        val rows = t.data.size / d
        val w = to - from
        val out = FloatArray(rows * w)
        for (r in 0 until rows) t.data.copyInto(out, r * w, r * d + from, r * d + to)
        return FloatTensor(t.shape.copyOf().also { it[it.size - 1] = w }, out)
    }

    // ------------------------------------------------------ signature calls

    /** Run one signature; float tensors in and out, (de)quantizing integer interfaces. */
    private fun call(key: String, feed: Map<String, FloatTensor>): Map<String, FloatTensor> = bound(key).call(feed)

    private fun bound(key: String): Bound = bound.getOrPut(key) { Bound(key) }

    /** One tensor of a signature: what encoding and decoding need, and its reused buffer. */
    private class Slot(info: Tensor) {
        val type: DataType = info.dataType()
        val shape: IntArray = info.shape()
        val size: Int = info.numElements()
        val scale: Float = info.quantizationParams().scale
        val zero: Int = info.quantizationParams().zeroPoint
        val buffer: ByteBuffer = ByteBuffer.allocateDirect(info.numBytes()).order(ByteOrder.nativeOrder())
    }

    /**
     * One signature bound once: its tensors looked up a single time, and direct buffers
     * that every call reuses (set the inputs, run, decode the outputs into fresh arrays,
     * which the plan keeps).
     */
    private inner class Bound(private val key: String) {
        private val ins = interpreter.getSignatureInputs(key)
            .associateWith { Slot(interpreter.getInputTensorFromSignature(it, key)) }
        private val outs = interpreter.getSignatureOutputs(key)
            .associateWith { Slot(interpreter.getOutputTensorFromSignature(it, key)) }
        private val inputBuffers: Map<String, Any> = ins.mapValues { it.value.buffer }
        private val outputBuffers: Map<String, Any> = outs.mapValues { it.value.buffer }

        /** Input [name] from `values[from until from + size]` (quantized if the tensor is). */
        fun set(name: String, values: FloatArray, from: Int = 0, size: Int = values.size) {
            val slot = requireNotNull(ins[name]) { "$key has no input $name (it has ${ins.keys})" }
            require(slot.size == size) { "$key/$name: expected ${slot.shape.contentToString()}, got $size values" }
            encodeInto(slot.buffer, values, from, size, slot.type, slot.scale, slot.zero)
        }

        /** Run with the inputs set last; the outputs as float tensors. */
        fun run(): Map<String, FloatTensor> {
            for (slot in outs.values) slot.buffer.clear()  // the runtime writes from the position on
            interpreter.runSignature(inputBuffers, outputBuffers, key)
            val result = HashMap<String, FloatTensor>(outs.size * 2)
            for ((name, slot) in outs) {
                slot.buffer.rewind()
                result[name] = FloatTensor(slot.shape, decode(slot.buffer, slot.type, slot.size, slot.scale, slot.zero))
            }
            return result
        }

        fun call(feed: Map<String, FloatTensor>): Map<String, FloatTensor> {
            require(feed.keys == ins.keys) { "$key takes inputs ${ins.keys}; got ${feed.keys}" }
            for ((name, value) in feed) {
                require(ins.getValue(name).size == value.data.size) {
                    "$key/$name: expected ${ins.getValue(name).shape.contentToString()}, got ${value.shape.contentToString()}"
                }
                set(name, value.data)
            }
            return run()
        }
    }

    private fun encodeInto(
        buffer: ByteBuffer, values: FloatArray, from: Int, size: Int, type: DataType, scale: Float, zero: Int,
    ) {
        buffer.clear()
        val range = from until from + size
        when (type) {
            DataType.FLOAT32 -> buffer.asFloatBuffer().put(values, from, size)  // native order, bulk copy
            DataType.INT8 -> for (i in range) buffer.put(quantize(values[i], scale, zero, -128, 127).toByte())
            DataType.UINT8 -> for (i in range) buffer.put(quantize(values[i], scale, zero, 0, 255).toByte())
            DataType.INT16 -> for (i in range) buffer.putShort(quantize(values[i], scale, zero, -32768, 32767).toShort())
            else -> throw IllegalArgumentException("unsupported input tensor type $type")
        }
        buffer.rewind()
    }

    private fun quantize(v: Float, scale: Float, zero: Int, lo: Int, hi: Int): Int =
        ((v / scale).roundToInt() + zero).coerceIn(lo, hi)

    private fun decode(buffer: ByteBuffer, type: DataType, n: Int, scale: Float, zero: Int): FloatArray =
        when (type) {
            DataType.FLOAT32 -> FloatArray(n) { buffer.getFloat() }
            DataType.INT8 -> FloatArray(n) { (buffer.get().toInt() - zero) * scale }
            DataType.UINT8 -> FloatArray(n) { ((buffer.get().toInt() and 0xff) - zero) * scale }
            DataType.INT16 -> FloatArray(n) { (buffer.getShort().toInt() - zero) * scale }
            else -> throw IllegalArgumentException("unsupported output tensor type $type")
        }

    private companion object {
        fun objects(a: JSONArray): List<JSONObject> = List(a.length()) { a.getJSONObject(it) }
        fun strings(a: JSONArray): List<String> = List(a.length()) { a.getString(it) }
        fun optStrings(o: JSONObject, key: String): List<String> = o.optJSONArray(key)?.let { strings(it) } ?: emptyList()
        const val MASK_SUFFIX = "__mask"
    }
}
