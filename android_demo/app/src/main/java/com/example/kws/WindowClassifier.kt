package com.example.kws

import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor
import java.nio.ByteBuffer

/**
 * The window model (assets/kws.tflite: the shipped kws-att-bilstm int8 file, a
 * single-layout file) through the stock LiteRT API, no plan and no PlanRunner:
 * one signature `serving_default`, input `audio` float32 [1, 16000] (1 s of
 * 16 kHz mono in [-1, 1]), output `probabilities` float32 [1, labels], one
 * Interpreter.runSignature per window. The layout is checked at load.
 *
 * Not thread-safe (one Interpreter): call from one thread.
 */
class WindowClassifier(model: ByteBuffer, private val numLabels: Int, threads: Int = 2) : AutoCloseable {

    private val interpreter = Interpreter(model, Interpreter.Options().setNumThreads(threads))
    private val output = arrayOf(FloatArray(numLabels))

    init {
        try {
            val keys = interpreter.signatureKeys.toList()
            require(keys == listOf(ModelContract.SIGNATURE_KEY)) {
                "${ModelContract.MODEL_ASSET} has signatures $keys; this app runs a single-layout file " +
                    "with exactly [${ModelContract.SIGNATURE_KEY}] (re-run android_demo/prepare.py)"
            }
            val ins = interpreter.getSignatureInputs(ModelContract.SIGNATURE_KEY).toList()
            val outs = interpreter.getSignatureOutputs(ModelContract.SIGNATURE_KEY).toList()
            require(ins == listOf(ModelContract.INPUT_NAME) && outs == listOf(ModelContract.OUTPUT_NAME)) {
                "${ModelContract.SIGNATURE_KEY} maps $ins -> $outs; this app expects " +
                    "[${ModelContract.INPUT_NAME}] -> [${ModelContract.OUTPUT_NAME}]"
            }
            checkTensor(interpreter.getInputTensorFromSignature(ModelContract.INPUT_NAME, ModelContract.SIGNATURE_KEY),
                ModelContract.INPUT_NAME, intArrayOf(1, ModelContract.INPUT_SAMPLES))
            checkTensor(interpreter.getOutputTensorFromSignature(ModelContract.OUTPUT_NAME, ModelContract.SIGNATURE_KEY),
                ModelContract.OUTPUT_NAME, intArrayOf(1, numLabels))
        } catch (e: Exception) {
            interpreter.close()
            throw e
        }
    }

    /** Probabilities (one per label, in labels.txt order) of one window of [ModelContract.INPUT_SAMPLES] samples. */
    fun classify(window: FloatArray): FloatArray {
        require(window.size == ModelContract.INPUT_SAMPLES) {
            "a window has ${ModelContract.INPUT_SAMPLES} samples; got ${window.size}"
        }
        interpreter.runSignature(
            mapOf<String, Any>(ModelContract.INPUT_NAME to arrayOf(window)),
            mapOf<String, Any>(ModelContract.OUTPUT_NAME to output),
            ModelContract.SIGNATURE_KEY,
        )
        return output[0].copyOf()
    }

    override fun close() = interpreter.close()

    private fun checkTensor(t: Tensor, name: String, shape: IntArray) {
        require(t.dataType() == DataType.FLOAT32 && t.shape().contentEquals(shape)) {
            "$name is ${t.dataType()} ${t.shape().contentToString()}; this app expects " +
                "${ModelContract.INTERFACE_DTYPE} ${shape.contentToString()}"
        }
    }
}
