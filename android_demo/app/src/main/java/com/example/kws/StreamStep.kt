package com.example.kws

import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * A single-layout streaming step file (`NAME.stream.int8.tflite`, the bundled default, or
 * `NAME.stream.float32.tflite`: one signature [ModelContract.SIGNATURE_KEY], one invoke per
 * 20 ms frame, float32 inputs and outputs) through the stock LiteRT API, no plan walked:
 * one Interpreter.runSignature per frame, as [WindowClassifier] runs the window model.
 *
 * [inputs] / [outputs] are the tensor names in the order [FrameStreamRunner] feeds and
 * reads them (the plan asset's `inputs` [frame, state..] and `outputs` [probabilities,
 * next state..]); the signature must have exactly these names, all float32, which is
 * checked at load. Each tensor's direct buffer is bound once and reused by every call.
 *
 * Not thread-safe (one Interpreter): call from one thread.
 */
class StreamStep(
    model: ByteBuffer,
    private val inputs: List<String>,
    private val outputs: List<String>,
    threads: Int = 2,
) : AutoCloseable {

    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))
    private val inShapes: List<IntArray>
    private val inSizes: List<Int>
    private val outShapes: List<IntArray>
    private val inBuffers: Map<String, ByteBuffer>
    private val outBuffers: Map<String, ByteBuffer>

    init {
        try {
            val key = ModelContract.SIGNATURE_KEY
            val keys = interpreter.signatureKeys.toList()
            require(keys == listOf(key)) {
                "${ModelContract.STREAM_MODEL_ASSET} has signatures $keys; a single-layout step file has " +
                    "exactly [$key] (re-run android_demo/prepare.py)"
            }
            val ins = interpreter.getSignatureInputs(key).toSet()
            val outs = interpreter.getSignatureOutputs(key).toSet()
            require(ins == inputs.toSet() && outs == outputs.toSet()) {
                "$key maps $ins -> $outs; the plan names $inputs -> $outputs"
            }
            val inTensors = inputs.map { interpreter.getInputTensorFromSignature(it, key) }
            val outTensors = outputs.map { interpreter.getOutputTensorFromSignature(it, key) }
            for ((name, t) in inputs.zip(inTensors) + outputs.zip(outTensors)) {
                require(t.dataType() == DataType.FLOAT32) {
                    "$name is ${t.dataType()}; this app feeds and reads ${ModelContract.INTERFACE_DTYPE}"
                }
            }
            inShapes = inTensors.map { it.shape() }
            inSizes = inTensors.map { it.numElements() }
            outShapes = outTensors.map { it.shape() }
            inBuffers = inputs.zip(inTensors).associate { (n, t) -> n to direct(t.numBytes()) }
            outBuffers = outputs.zip(outTensors).associate { (n, t) -> n to direct(t.numBytes()) }
        } catch (e: Exception) {
            interpreter.close()
            throw e
        }
    }

    /** One invoke: [values] in [inputs] order -> the outputs in [outputs] order. */
    fun run(values: List<FloatTensor>): List<FloatTensor> {
        require(values.size == inputs.size) { "expected ${inputs.size} input(s) $inputs" }
        for ((i, name) in inputs.withIndex()) {
            require(values[i].data.size == inSizes[i]) {
                "$name: expected ${inShapes[i].contentToString()}, got ${values[i].data.size} values"
            }
            val buffer = inBuffers.getValue(name)
            buffer.clear()
            buffer.asFloatBuffer().put(values[i].data)
            buffer.rewind()
        }
        for (buffer in outBuffers.values) buffer.clear()  // the runtime writes from the position on
        interpreter.runSignature(inBuffers, outBuffers, ModelContract.SIGNATURE_KEY)
        return outputs.mapIndexed { i, name ->
            val buffer = outBuffers.getValue(name)
            buffer.rewind()
            val floats = buffer.asFloatBuffer()
            FloatTensor(outShapes[i], FloatArray(floats.remaining()).also { floats.get(it) })
        }
    }

    override fun close() = interpreter.close()

    private companion object {
        fun direct(bytes: Int): ByteBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder())
    }
}
