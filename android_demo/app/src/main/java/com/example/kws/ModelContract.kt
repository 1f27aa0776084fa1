package com.example.kws

/**
 * What the Kotlin code assumes about the bundled models.
 *
 * The window model (assets/kws.tflite, the shipped zoo/pretrained/kws-att-bilstm
 * int8 file) is a single-layout file run by WindowClassifier through the stock
 * LiteRT API: one signature SIGNATURE_KEY, input INPUT_NAME float32
 * [1, INPUT_SAMPLES], output OUTPUT_NAME float32 [1, NUM_LABELS]
 * (Interpreter.runSignature, no plan). A single-layout streaming step file (one
 * signature SIGNATURE_KEY, inputs and outputs named by its plan asset) is run the same
 * way by StreamStep; a stepped one (many signatures and a plan) by PlanRunner.
 *
 * CI (tests/android/test_android_demo.py) parses the `const val` / `listOf`
 * lines below and checks them against the .tflite files' signatures (and the
 * stream file's stored plan), so keep one declaration per line and literal
 * values only. The streaming constants (sample rate, hop, smoothing,
 * threshold, refractory) are NOT here: they come from assets/settings.json
 * (see Detector.kt).
 */
object ModelContract {
    // Asset file names, written by android_demo/prepare.py.
    const val MODEL_ASSET = "kws.tflite"
    const val LABELS_ASSET = "labels.txt"
    const val SETTINGS_ASSET = "settings.json"

    // The window model's only signature and its tensors (batch 1).
    const val SIGNATURE_KEY = "serving_default"
    const val INPUT_NAME = "audio"
    const val INPUT_SAMPLES = 16000
    const val OUTPUT_NAME = "probabilities"
    const val NUM_LABELS = 12

    // Tensor type at every signature's interface, in both the window file and
    // the stream file (integer files keep float inputs and outputs; PlanRunner
    // also handles int8/int16 interfaces).
    const val INTERFACE_DTYPE = "float32"

    // PlanRunner (the streaming step files): the plan version it runs, the stage
    // kinds it knows, and the tensor names of stepped recurrent signatures
    // (x, state0.. -> y, state0_out..; no bundled file has one at present).
    const val PLAN_VERSION = 1
    val STAGE_KINDS = listOf("segment", "recurrent")
    const val STEP_INPUT = "x"
    const val STEP_OUTPUT = "y"
    const val STATE_PREFIX = "state"
    const val STATE_OUT_SUFFIX = "_out"
    const val INIT_PREFIX = "init"

    // Optional streaming model (kws-stream-att-gru / kws-stream-gru), written by
    // `prepare.py --stream NAME`; MainActivity prefers it when STREAM_MODEL_ASSET exists.
    // Its plan: inputs [frame, state..], outputs [probabilities, next state..] in the
    // same state order (FrameStreamRunner.kt); its settings: the model's section.
    const val STREAM_MODEL_ASSET = "kws_stream.tflite"
    const val STREAM_PLAN_ASSET = "kws_stream_plan.json"
    const val STREAM_STATE_ASSET = "kws_stream_state.json"
    const val STREAM_SETTINGS_ASSET = "kws_stream_settings.json"
    const val FRAME_SAMPLES = 320
    const val MEL_TAIL_FRAMES = 3
    const val MEL_BINS = 40

    // What each state input holds, in plan order (the no-attention twin: the first three).
    val STREAM_STATE_ROLES = listOf("audio_tail", "mel_tail", "gru_state", "keys", "values")
}
