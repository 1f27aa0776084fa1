package com.example.kws

import android.Manifest
import android.app.Activity
import android.content.pm.PackageManager
import android.media.AudioFormat
import android.media.AudioRecord
import android.media.MediaRecorder
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.view.ViewGroup
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.ProgressBar
import android.widget.TextView
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

/**
 * Live keyword spotting: AudioRecord (mono PCM16 at the settings' sample
 * rate, 16 kHz) -> Detector (1 s ring buffer, the model every hop, smoothing,
 * threshold, refractory) -> detections list and posterior bars. The window
 * model (assets/kws.tflite, single layout) runs through the stock LiteRT API
 * (WindowClassifier: one Interpreter.runSignature per window, no plan).
 *
 * With the streaming model's assets (prepare.py --stream NAME) the app runs it
 * instead: the Detector feeds consecutive 20 ms frames to a FrameStreamRunner
 * (state carried; a single-layout step file through the stock API, StreamStep:
 * one Interpreter.runSignature per frame; a stepped one through PlanRunner), with the model's own
 * settings section. Which model and how it is loaded: LoadedModel.kt (no
 * Android API, so android_demo/jvm runs it on the desktop JVM).
 *
 * Threads: the main thread (UI), one recording thread (blocking
 * AudioRecord.read of one hop at a time) and one inference thread (a single
 * thread executor that owns the LiteRT interpreter and the Detector).
 */
class MainActivity : Activity() {

    private lateinit var toggle: Button
    private lateinit var status: TextView
    private lateinit var bars: List<ProgressBar>
    private lateinit var detectionsAdapter: ArrayAdapter<String>

    private val ui = Handler(Looper.getMainLooper())
    private val inference: ExecutorService = Executors.newSingleThreadExecutor()
    private val pending = AtomicInteger(0)

    // Touched on the inference thread only (after loading).
    private var model: LoadedModel? = null  // the window model, or the streaming model when bundled
    private var detector: Detector? = null

    // Set on the main thread once loaded.
    private var settings: DetectorSettings? = null
    private var labels: List<String> = emptyList()

    @Volatile private var listening = false
    private var recordThread: Thread? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        toggle = findViewById(R.id.toggle)
        status = findViewById(R.id.status)
        detectionsAdapter = ArrayAdapter(this, android.R.layout.simple_list_item_1, ArrayList())
        findViewById<ListView>(R.id.detections).adapter = detectionsAdapter
        toggle.isEnabled = false
        toggle.setOnClickListener { if (listening) stopListening() else startWithPermission() }
        inference.execute { loadModel() }
    }

    override fun onStop() {
        super.onStop()
        stopListening()
    }

    override fun onDestroy() {
        super.onDestroy()
        inference.execute {
            model?.close(); model = null
        }
        inference.shutdown()
    }

    // ---------------------------------------------------------------- model

    private fun asset(name: String): ByteArray = assets.open(name).use { it.readBytes() }

    private fun hasAsset(name: String): Boolean = assets.list("")?.contains(name) == true

    /** Inference thread: load the assets written by android_demo/prepare.py (LoadedModel.kt). */
    private fun loadModel() {
        try {
            val m = LoadedModel.load(::asset, ::hasAsset)
            model = m
            detector = m.newDetector()
            ui.post { onModelLoaded(m.settings, m.labels) }
        } catch (e: Exception) {
            ui.post { showError(e) }
        }
    }

    private fun onModelLoaded(s: DetectorSettings, names: List<String>) {
        settings = s
        labels = names
        val container = findViewById<LinearLayout>(R.id.posterior_bars)
        bars = names.map { label ->
            val row = LinearLayout(this).apply { orientation = LinearLayout.HORIZONTAL }
            row.addView(TextView(this).apply { text = label }, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f))
            val bar = ProgressBar(this, null, android.R.attr.progressBarStyleHorizontal).apply { max = BAR_MAX }
            row.addView(bar, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 3f))
            container.addView(row)
            bar
        }
        val keywords = names.filter { it !in s.ignoreLabels }.joinToString(", ")
        status.text = getString(R.string.status_idle, keywords)
        toggle.isEnabled = true
    }

    private fun showError(e: Exception) {
        stopListening()
        status.text = getString(R.string.status_error, e.message ?: e.toString())
    }

    // ---------------------------------------------------------------- audio

    private fun startWithPermission() {
        if (checkSelfPermission(Manifest.permission.RECORD_AUDIO) == PackageManager.PERMISSION_GRANTED) {
            startListening()
        } else {
            requestPermissions(arrayOf(Manifest.permission.RECORD_AUDIO), REQUEST_RECORD_AUDIO)
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode != REQUEST_RECORD_AUDIO) return
        if (grantResults.isNotEmpty() && grantResults[0] == PackageManager.PERMISSION_GRANTED) {
            startListening()
        } else {
            status.setText(R.string.status_permission_denied)
        }
    }

    private fun startListening() {
        val s = settings ?: return
        val hopSamples = (s.sampleRate * s.hopMs / 1e3).toInt()
        val minBuffer = AudioRecord.getMinBufferSize(s.sampleRate, AudioFormat.CHANNEL_IN_MONO, AudioFormat.ENCODING_PCM_16BIT)
        if (minBuffer <= 0) {
            status.text = getString(R.string.status_error, "AudioRecord cannot record mono PCM16 at ${s.sampleRate} Hz")
            return
        }
        val record = try {
            // Room for a second of audio, so a slow inference does not overflow the device buffer.
            AudioRecord(MediaRecorder.AudioSource.MIC, s.sampleRate, AudioFormat.CHANNEL_IN_MONO,
                AudioFormat.ENCODING_PCM_16BIT, maxOf(minBuffer, 2 * s.sampleRate))
        } catch (e: SecurityException) {
            status.setText(R.string.status_permission_denied)
            return
        }
        if (record.state != AudioRecord.STATE_INITIALIZED) {
            record.release()
            status.text = getString(R.string.status_error, "AudioRecord did not initialise")
            return
        }
        // A fresh detector (empty ring buffer, stream time 0) per session.
        inference.execute {
            // a streaming model starts each session from silence
            detector = model?.newDetector() ?: return@execute
        }
        detectionsAdapter.clear()
        listening = true
        toggle.setText(R.string.stop)
        status.setText(R.string.status_listening)
        recordThread = Thread({ recordLoop(record, hopSamples) }, "kws-audio").also { it.start() }
    }

    /** Recording thread: one hop of PCM16 at a time, handed to the inference thread. */
    private fun recordLoop(record: AudioRecord, hopSamples: Int) {
        val pcm = ShortArray(hopSamples)
        try {
            record.startRecording()
            while (listening) {
                var got = 0
                while (got < hopSamples && listening) {
                    val n = record.read(pcm, got, hopSamples - got)
                    if (n < 0) throw IllegalStateException("AudioRecord.read returned $n")
                    got += n
                }
                if (got == 0) continue
                val block = pcm16ToFloat(pcm, got)
                if (pending.incrementAndGet() > MAX_PENDING) {
                    // Inference is slower than real time: drop audio rather than lag further.
                    pending.decrementAndGet()
                    continue
                }
                inference.execute { process(block) }
            }
        } catch (e: Exception) {
            ui.post { showError(e) }
        } finally {
            record.stop()
            record.release()
        }
    }

    /** Inference thread: the Detector runs the model every hop. */
    private fun process(block: FloatArray) {
        try {
            val d = detector ?: return
            val found = d.feed(block)
            val smoothed = d.lastSmoothed?.copyOf()
            val perWindowMs = if (d.windows > 0) d.computeNs / 1e6 / d.windows else 0.0
            val windows = d.windows
            ui.post { render(found, smoothed, windows, perWindowMs) }
        } catch (e: Exception) {
            listening = false
            ui.post { showError(e) }
        } finally {
            pending.decrementAndGet()
        }
    }

    private fun render(found: List<Detection>, smoothed: FloatArray?, windows: Long, perWindowMs: Double) {
        if (!listening) return
        found.forEach { detectionsAdapter.add(it.line()) }
        smoothed?.forEachIndexed { k, p -> bars[k].progress = (p * BAR_MAX).toInt() }
        status.text = getString(R.string.status_stats, windows, perWindowMs)
    }

    private fun stopListening() {
        if (!listening && recordThread == null) return
        listening = false
        recordThread?.join(JOIN_TIMEOUT_MS)
        recordThread = null
        // Report a keyword whose run was still open when the user pressed stop.
        inference.execute {
            val found = detector?.flush().orEmpty()
            ui.post { found.forEach { detectionsAdapter.add(it.line()) } }
        }
        toggle.setText(R.string.start)
        if (settings != null) {
            status.text = getString(R.string.status_idle, labels.filter { it !in settings!!.ignoreLabels }.joinToString(", "))
        }
    }

    private companion object {
        const val REQUEST_RECORD_AUDIO = 1
        const val BAR_MAX = 1000
        const val MAX_PENDING = 20
        const val JOIN_TIMEOUT_MS = 1000L
    }
}
