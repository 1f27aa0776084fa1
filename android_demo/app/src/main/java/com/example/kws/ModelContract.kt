package com.example.kws

/**
 * What the Kotlin code assumes about the bundled model (assets/kws.tflite,
 * the shipped zoo/pretrained/kws-att-bilstm int8 file) and its plan.
 *
 * CI (tests/android/test_android_demo.py) parses the `const val` / `listOf`
 * lines below and checks them against the .tflite file's signatures and its
 * stored plan, so keep one declaration per line and literal values only.
 * The streaming constants (sample rate, hop, smoothing, threshold, refractory)
 * are NOT here: they come from assets/settings.json (see Detector.kt).
 */
object ModelContract {
    // Asset file names, written by android_demo/prepare.py.
    const val MODEL_ASSET = "kws.tflite"
    const val PLAN_ASSET = "plan.json"
    const val LABELS_ASSET = "labels.txt"
    const val SETTINGS_ASSET = "settings.json"

    // Model interface (batch 1).
    const val PLAN_VERSION = 1
    const val INPUT_NAME = "t0"
    const val INPUT_SAMPLES = 16000
    const val OUTPUT_NAME = "t4"
    const val NUM_LABELS = 12

    // Every signature in the file, in plan order.
    val SIGNATURES = listOf("seg0", "seg1", "rnn2_fw", "rnn2_bw", "seg3")

    // Recurrent step signatures: x, state0.. -> y, state0_out..
    const val STEP_INPUT = "x"
    const val STEP_OUTPUT = "y"
    const val STATE_PREFIX = "state"
    const val STATE_OUT_SUFFIX = "_out"
    const val INIT_PREFIX = "init"

    // Tensor types at every signature's interface (the int8 file keeps float
    // inputs and outputs; PlanRunner also handles int8/int16 interfaces).
    const val INTERFACE_DTYPE = "float32"

    // Stage kinds PlanRunner knows how to run.
    val STAGE_KINDS = listOf("segment", "recurrent")

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
