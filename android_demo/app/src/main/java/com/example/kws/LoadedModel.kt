package com.example.kws

import org.json.JSONObject
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The model the app runs, loaded from the assets android_demo/prepare.py writes:
 * the streaming model when its step file is bundled, else the window model.
 * No Android API here (MainActivity passes its asset reader), so the desktop
 * check (android_demo/jvm, tests/android/test_android_jvm.py) runs this very
 * code on the JVM.
 *
 * - window model: assets/kws.tflite through [WindowClassifier], settings.json;
 * - streaming model: assets/kws_stream.tflite through [FrameStreamRunner] (state from
 *   kws_stream_state.json), one step per frame by the stock [StreamStep] when the file is
 *   single-layout (the plan asset says `"layout": "single"`: one signature, one invoke),
 *   else by [PlanRunner]; the model's own settings section (kws_stream_settings.json).
 *
 * Not thread-safe: use from the thread that loaded it.
 */
class LoadedModel private constructor(
    val settings: DetectorSettings,
    val labels: List<String>,
    /** One window (or, streaming, one frame) of samples -> probabilities in [labels] order. */
    val predict: (FloatArray) -> FloatArray,
    /** The streaming model's runner, null for the window model. */
    val stream: FrameStreamRunner?,
    /** What runs the model file: WindowClassifier, StreamStep (stock API) or PlanRunner. */
    val runner: String,
    private val resources: List<AutoCloseable>,
) : AutoCloseable {

    /** A fresh detector (empty ring buffer, stream time 0; a streaming model back to silence).
     *  [tap] sees every model output (the desktop check records them; the app passes none). */
    fun newDetector(tap: ((FloatArray) -> Unit)? = null): Detector {
        stream?.reset()
        return Detector(settings, labels, if (tap == null) predict else { w -> predict(w).also(tap) })
    }

    override fun close() = resources.forEach { it.close() }

    companion object {
        /** Load what the assets hold; `asset(name)` reads one, `hasAsset(name)` says whether it is there. */
        fun load(asset: (String) -> ByteArray, hasAsset: (String) -> Boolean): LoadedModel =
            if (hasAsset(ModelContract.STREAM_MODEL_ASSET)) loadStream(asset) else loadWindow(asset)

        private fun text(asset: (String) -> ByteArray, name: String) = String(asset(name), Charsets.UTF_8)

        private fun strings(o: JSONObject, key: String): List<String> =
            o.getJSONArray(key).let { a -> List(a.length()) { a.getString(it) } }

        private fun labels(asset: (String) -> ByteArray): List<String> {
            val names = text(asset, ModelContract.LABELS_ASSET).lines().map { it.trim() }.filter { it.isNotEmpty() }
            check(names.size == ModelContract.NUM_LABELS) {
                "${ModelContract.LABELS_ASSET} has ${names.size} labels; the model has ${ModelContract.NUM_LABELS}"
            }
            return names
        }

        /** A model file as LiteRT wants it: a direct buffer in native order. */
        private fun modelBuffer(bytes: ByteArray): ByteBuffer =
            ByteBuffer.allocateDirect(bytes.size).order(ByteOrder.nativeOrder()).also { it.put(bytes).rewind() }

        /** LiteRT's refusal of a model file, with the asset's name and the fix. */
        private fun <T> opening(name: String, open: () -> T): T =
            try {
                open()
            } catch (e: IllegalArgumentException) {
                throw IllegalStateException("$name: ${e.message} (re-run android_demo/prepare.py)", e)
            }

        private fun loadStream(asset: (String) -> ByteArray): LoadedModel {
            val s = DetectorSettings.fromJson(text(asset, ModelContract.STREAM_SETTINGS_ASSET))
            val names = labels(asset)
            val plan = JSONObject(text(asset, ModelContract.STREAM_PLAN_ASSET))
            val state = JSONObject(text(asset, ModelContract.STREAM_STATE_ASSET))
            val bytes = asset(ModelContract.STREAM_MODEL_ASSET)
            val single = plan.optString("layout") == "single"
            val runner: AutoCloseable
            val step: (List<FloatTensor>) -> List<FloatTensor>
            if (single) {
                val s = opening(ModelContract.STREAM_MODEL_ASSET) {
                    StreamStep(modelBuffer(bytes), strings(plan, "inputs"), strings(plan, "outputs"))
                }
                runner = s
                step = s::run
            } else {
                val p = opening(ModelContract.STREAM_MODEL_ASSET) { PlanRunner(modelBuffer(bytes), plan) }
                runner = p
                step = p::run
            }
            try {
                val frames = FrameStreamRunner(step, plan, state)
                val model = LoadedModel(s, names, frames::step, frames, runner.javaClass.simpleName, listOf(runner))
                val d = model.newDetector()
                check(d.frames && d.window == ModelContract.FRAME_SAMPLES) {
                    "${ModelContract.STREAM_SETTINGS_ASSET} gives ${d.window}-sample windows every ${d.hop} " +
                        "samples; the streaming model takes consecutive ${ModelContract.FRAME_SAMPLES}-sample frames"
                }
                return model
            } catch (e: Exception) {
                runner.close()
                throw e
            }
        }

        private fun loadWindow(asset: (String) -> ByteArray): LoadedModel {
            val s = DetectorSettings.fromJson(text(asset, ModelContract.SETTINGS_ASSET))
            val names = labels(asset)
            val c = opening(ModelContract.MODEL_ASSET) {
                WindowClassifier(modelBuffer(asset(ModelContract.MODEL_ASSET)), names.size)
            }
            val model = LoadedModel(s, names, c::classify, null, "WindowClassifier", listOf(c))
            val d = model.newDetector()
            if (d.window != ModelContract.INPUT_SAMPLES) {
                c.close()
                throw IllegalStateException(
                    "settings give a ${d.window}-sample window; the model takes ${ModelContract.INPUT_SAMPLES}")
            }
            return model
        }
    }
}

/** Full scale of PCM16: a sample s is s / PCM16_SCALE in [-1, 1). */
const val PCM16_SCALE = 32768f

/** The first [count] PCM16 samples of [pcm] (one read from AudioRecord) as the detector's floats. */
fun pcm16ToFloat(pcm: ShortArray, count: Int): FloatArray = FloatArray(count) { pcm[it] / PCM16_SCALE }
