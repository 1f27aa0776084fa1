package com.example.kws

import org.json.JSONObject
import java.util.Locale
import kotlin.math.roundToInt

/**
 * The streaming settings from assets/settings.json: the same file as the
 * Python demo (zoo/demo/settings.json, copied byte for byte by
 * android_demo/prepare.py). No value is repeated in the Kotlin code.
 */
data class DetectorSettings(
    val sampleRate: Int,
    val windowMs: Double,
    val hopMs: Double,
    val smoothingWindows: Int,
    /** One threshold for every keyword (when [perWord] is null). */
    val threshold: Double,
    val refractoryMs: Double,
    val ignoreLabels: Set<String>,
    /** Per-word thresholds (a streaming model's calibrated operating point); labels
     *  missing from it are never reported. */
    val perWord: Map<String, Double>? = null,
    /** Longest run of "on" hops that is one detection (default: one window). */
    val maxRunMs: Double = windowMs,
) {
    /** The threshold of each label (infinite: never reported), as zoo/demo/scoring.py. */
    fun thresholds(labels: List<String>): DoubleArray {
        val words = perWord ?: return DoubleArray(labels.size) { threshold }
        val unknown = words.keys - labels.toSet()
        require(unknown.isEmpty()) { "settings: thresholds for unknown labels $unknown; the labels are $labels" }
        return DoubleArray(labels.size) { words[labels[it]] ?: Double.POSITIVE_INFINITY }
    }


    companion object {
        /** Parse and validate (same rules as zoo/demo/detector.py `load_settings`). */
        fun fromJson(text: String): DetectorSettings {
            val json = JSONObject(text)
            val ignore = json.getJSONArray("ignore_labels")
            // "threshold": a number, or {label: number} (per-word, streaming models)
            val thr = json.get("threshold")
            val perWord = (thr as? JSONObject)?.let { o -> o.keys().asSequence().associateWith { o.getDouble(it) } }
            val windowMs = json.getDouble("window_ms")
            val s = DetectorSettings(
                sampleRate = json.getInt("sample_rate"),
                windowMs = windowMs,
                hopMs = json.getDouble("hop_ms"),
                smoothingWindows = json.getInt("smoothing_windows"),
                threshold = if (perWord == null) json.getDouble("threshold") else perWord.values.minOrNull() ?: 0.0,
                refractoryMs = json.getDouble("refractory_ms"),
                ignoreLabels = List(ignore.length()) { ignore.getString(it) }.toSet(),
                perWord = perWord,
                maxRunMs = json.optDouble("max_run_ms", windowMs),
            )
            require(s.sampleRate > 0 && s.windowMs > 0 && s.hopMs > 0 && s.smoothingWindows > 0) {
                "settings: sample_rate, window_ms, hop_ms and smoothing_windows must be positive"
            }
            require(s.threshold > 0 && s.threshold <= 1) { "settings: threshold must be in (0, 1]" }
            require(s.perWord == null || (s.perWord.isNotEmpty() && s.perWord.values.all { it > 0 && it <= 1 })) {
                "settings: every per-word threshold must be in (0, 1]"
            }
            require(s.maxRunMs > 0) { "settings: max_run_ms must be positive" }
            require(s.refractoryMs >= 0) { "settings: refractory_ms must be >= 0" }
            require(s.hopMs <= s.windowMs) { "settings: hop_ms must not exceed window_ms" }
            return s
        }
    }
}

/** A detected keyword: centre time (s from the stream start), label, peak smoothed probability. */
data class Detection(val timeS: Double, val label: String, val prob: Float) {
    fun line(): String = "${formatTime(timeS)}  $label  ${"%.2f".format(Locale.ROOT, prob)}"

    companion object {
        /** `MM:SS.mmm`, as zoo.demo.detector.format_time. */
        fun formatTime(seconds: Double): String {
            val ms = (maxOf(0.0, seconds) * MS_PER_S).roundToInt()
            return "%02d:%02d.%03d".format(Locale.ROOT, ms / 60_000, ms % 60_000 / MS_PER_S, ms % MS_PER_S)
        }
    }
}

private const val MS_PER_S = 1000
private const val FRAME_CENTRE = 0.5  // a frame's posterior belongs to its centre

/**
 * Kotlin port of zoo/demo/detector.py `Detector` with batch 1 (live audio):
 *
 * - a ring buffer holds the last `window_ms` of audio (zeros before the
 *   stream starts); every `hop_ms` the model classifies it; window k is
 *   centred at k * hop. With window_ms == hop_ms (a streaming model, see
 *   FrameStreamRunner.kt) the model gets consecutive frames aligned to the
 *   stream start, frame k timed at its centre (k + 0.5) * hop;
 * - posteriors are smoothed by a moving average over `smoothing_windows` hops;
 * - a keyword (not in `ignore_labels`) is "on" while it is the arg-max of the
 *   smoothed posteriors and >= its `threshold` (one number, or per word); a run
 *   of "on" hops (at most `max_run_ms` long, default one window) is one
 *   detection at the run's middle, with the run's peak;
 * - a detection within `refractory_ms` of the previous one is dropped.
 *
 * `model` maps one window (FloatArray of window samples, [-1, 1]) to class
 * probabilities. Not thread-safe: feed from one thread.
 */
class Detector(
    val settings: DetectorSettings,
    val labels: List<String>,
    private val model: (FloatArray) -> FloatArray,
) {
    val rate = settings.sampleRate
    val window = (rate * settings.windowMs / MS_PER_S).roundToInt()
    val hop = (rate * settings.hopMs / MS_PER_S).roundToInt()
    /** Consecutive frames of a streaming model (window == hop), each timed at its centre. */
    val frames = window == hop
    private val thresholds = settings.thresholds(labels)
    private val refractoryS = settings.refractoryMs / MS_PER_S
    private val maxRunS = settings.maxRunMs / MS_PER_S
    private val keyword = BooleanArray(labels.size) { labels[it] !in settings.ignoreLabels }

    private val buf = FloatArray(window)
    private var untilNext = if (frames) window else window / 2  // first window: centred at t = 0
    private var nextIndex = 0L
    private val smooth = ArrayDeque<FloatArray>()
    private val smoothT = ArrayDeque<Double>()
    private var run: Run? = null
    private var lastTime: Double? = null

    /** Windows classified so far and total model time (for the status line). */
    var windows = 0L
        private set
    var computeNs = 0L
        private set

    /** The latest smoothed posteriors (for the bars), or null before the first window. */
    var lastSmoothed: FloatArray? = null
        private set

    private class Run(val label: Int, val start: Double, var end: Double, var peak: Float)

    /** Add audio (mono float at `sample_rate`); returns the detections completed. */
    fun feed(block: FloatArray): List<Detection> {
        val out = ArrayList<Detection>()
        var x = block
        while (x.isNotEmpty()) {
            val m = minOf(x.size, untilNext)
            if (m >= window) {
                x.copyInto(buf, 0, m - window, m)
            } else {
                buf.copyInto(buf, 0, m, window)  // shift left by m
                x.copyInto(buf, window - m, 0, m)
            }
            x = x.copyOfRange(m, x.size)
            untilNext -= m
            if (untilNext == 0) {
                val t = (nextIndex + if (frames) FRAME_CENTRE else 0.0) * hop / rate
                nextIndex += 1
                untilNext = hop
                out += evaluate(buf.copyOf(), t)
            }
        }
        return out
    }

    /** Silence flush() adds: half a window, or for a streaming model the smoothing span (a
     *  word that ends the audio is averaged to its end, as in a live stream). */
    private val tail = if (frames) maxOf(window / 2, settings.smoothingWindows * hop) else window / 2

    /** End of stream: `tail` zeros, then close the open run. */
    fun flush(): List<Detection> = feed(FloatArray(tail)) + closeRun()

    private fun evaluate(windowSamples: FloatArray, t: Double): List<Detection> {
        val start = System.nanoTime()
        val probs = model(windowSamples)
        computeNs += System.nanoTime() - start
        windows += 1
        require(probs.size == labels.size) {
            "the model returned ${probs.size} probabilities for ${labels.size} labels"
        }
        smooth.addLast(probs)
        smoothT.addLast(t)
        while (smooth.size > settings.smoothingWindows) {
            smooth.removeFirst()
            smoothT.removeFirst()
        }
        val smoothed = FloatArray(labels.size) { k -> smooth.sumOf { it[k].toDouble() }.toFloat() / smooth.size }
        lastSmoothed = smoothed
        return step(smoothT.average(), smoothed)
    }

    private fun step(t: Double, smoothed: FloatArray): List<Detection> {
        var best = 0
        for (k in smoothed.indices) if (smoothed[k] > smoothed[best]) best = k
        val on = keyword[best] && smoothed[best] >= thresholds[best]
        val out = ArrayList<Detection>()
        val current = run
        if (current != null && (!on || best != current.label || t - current.start >= maxRunS)) {
            out += closeRun()
        }
        if (on) {
            val r = run
            if (r == null) {
                run = Run(best, t, t, smoothed[best])
            } else {
                r.end = t
                r.peak = maxOf(r.peak, smoothed[best])
            }
        }
        return out
    }

    private fun closeRun(): List<Detection> {
        val r = run ?: return emptyList()
        run = null
        val t = (r.start + r.end) / 2
        val last = lastTime
        if (last != null && t - last < refractoryS) return emptyList()
        lastTime = t
        return listOf(Detection(t, labels[r.label], r.peak))
    }
}
