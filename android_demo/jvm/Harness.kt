package com.example.kws

import org.json.JSONArray
import org.json.JSONObject
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The app's audio path on the desktop JVM: the assets android_demo/prepare.py
 * wrote are loaded by LoadedModel (as MainActivity does), and a recording is fed
 * as AudioRecord would hand it over: mono PCM16, one hop of samples per block,
 * each block through pcm16ToFloat into the Detector; flush() at the end (the
 * user pressing stop). Prints one JSON object: the labels, the detections (time,
 * label, peak, the line the app lists) and every model output (raw probabilities,
 * one row per window or frame).
 *
 *     java ... com.example.kws.HarnessKt ASSETS_DIR RECORDING.pcm
 *
 * RECORDING.pcm: little-endian 16-bit samples at the settings' sample rate.
 */
fun main(args: Array<String>) {
    require(args.size == 2) { "usage: HarnessKt ASSETS_DIR RECORDING.pcm" }
    val dir = File(args[0])
    val bytes = File(args[1]).readBytes()
    val pcm = ShortArray(bytes.size / 2).also { ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(it) }
    LoadedModel.load({ File(dir, it).readBytes() }, { File(dir, it).isFile }).use { model ->
        val outputs = JSONArray()
        val detector = model.newDetector { p -> outputs.put(JSONArray(p.map(Float::toDouble))) }
        val found = ArrayList<Detection>()
        var at = 0
        while (at < pcm.size) {
            val n = minOf(detector.hop, pcm.size - at)
            found += detector.feed(pcm16ToFloat(pcm.copyOfRange(at, at + n), n))
            at += n
        }
        found += detector.flush()
        val detections = JSONArray()
        for (d in found) {
            detections.put(JSONObject().put("time_s", d.timeS).put("label", d.label).put("prob", d.prob.toDouble()).put("line", d.line()))
        }
        println(JSONObject()
            .put("labels", JSONArray(model.labels))
            .put("streaming", model.stream != null)
            .put("runner", model.runner)
            .put("window", detector.window).put("hop", detector.hop).put("windows", detector.windows)
            .put("detections", detections)
            .put("outputs", outputs))
    }
}
