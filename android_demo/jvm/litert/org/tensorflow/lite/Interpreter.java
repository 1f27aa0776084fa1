package org.tensorflow.lite;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A desktop stand-in for LiteRT's {@code org.tensorflow.lite.Interpreter}, for
 * running the Android demo's model code on the JVM (android_demo/jvm, never
 * part of the app). The LiteRT AAR (its JNI library) cannot be had here, so the
 * native half is replaced by a bridge: a Python process running the same .tflite
 * with ai_edge_litert's interpreter (android_demo/jvm/litert_bridge.py, started
 * from the system properties {@code litert.bridge.python} and
 * {@code litert.bridge.script}). The kernels are LiteRT's; everything the app
 * does around them (signature lookups, buffers, (de)quantization, plan walking,
 * state carrying) runs as written.
 *
 * <p>The methods the app calls keep LiteRT's signatures, and their checks
 * follow LiteRT's: an unknown signature or tensor name, or a buffer whose
 * capacity is not the tensor's byte size, is an {@link IllegalArgumentException};
 * a direct input ByteBuffer is read whole (from index 0, like LiteRT's
 * zero-copy path), an output ByteBuffer is written from its position on; array
 * inputs and outputs must have the tensor's shape (float32 tensors only here).
 */
public final class Interpreter implements AutoCloseable {

    /** Interpreter options (the thread count is passed to the bridge's interpreter). */
    public static class Options {
        int numThreads = -1;

        public Options setNumThreads(int numThreads) {
            this.numThreads = numThreads;
            return this;
        }
    }

    private final Process bridge;
    private final DataOutputStream toBridge;
    private final DataInputStream fromBridge;
    private final Map<String, Map<String, BridgeTensor>> inputs = new LinkedHashMap<>();
    private final Map<String, Map<String, BridgeTensor>> outputs = new LinkedHashMap<>();
    private boolean closed;

    public Interpreter(ByteBuffer byteBuffer) {
        this(byteBuffer, new Options());
    }

    public Interpreter(ByteBuffer byteBuffer, Options options) {
        if (byteBuffer == null) throw new IllegalArgumentException("Model ByteBuffer should be non-null");
        String python = System.getProperty("litert.bridge.python", "python3");
        String script = System.getProperty("litert.bridge.script");
        if (script == null) {
            throw new IllegalStateException("set -Dlitert.bridge.script=android_demo/jvm/litert_bridge.py");
        }
        try {
            bridge = new ProcessBuilder(python, script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the LiteRT bridge " + python + " " + script, e);
        }
        toBridge = new DataOutputStream(bridge.getOutputStream());
        fromBridge = new DataInputStream(bridge.getInputStream());
        byte[] model = new byte[byteBuffer.capacity()];
        byteBuffer.duplicate().clear().get(model);
        try {
            JSONObject reply = exchange(json(() -> new JSONObject().put("op", "load").put("threads", options.numThreads)),
                List.of(model)).header;
            json(() -> {
                JSONObject signatures = reply.getJSONObject("signatures");
                JSONArray keys = reply.getJSONArray("keys");
                for (int i = 0; i < keys.length(); i++) {
                    String key = keys.getString(i);
                    JSONObject sig = signatures.getJSONObject(key);
                    inputs.put(key, tensors(sig.getJSONArray("inputs")));
                    outputs.put(key, tensors(sig.getJSONArray("outputs")));
                }
                return null;
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String[] getSignatureKeys() {
        return inputs.keySet().toArray(new String[0]);
    }

    public String[] getSignatureInputs(String signatureKey) {
        return signature(inputs, signatureKey).keySet().toArray(new String[0]);
    }

    public String[] getSignatureOutputs(String signatureKey) {
        return signature(outputs, signatureKey).keySet().toArray(new String[0]);
    }

    public Tensor getInputTensorFromSignature(String inputName, String signatureKey) {
        return tensor(inputs, inputName, signatureKey, "input");
    }

    public Tensor getOutputTensorFromSignature(String outputName, String signatureKey) {
        return tensor(outputs, outputName, signatureKey, "output");
    }

    public void runSignature(Map<String, Object> inputs, Map<String, Object> outputs) {
        if (this.inputs.size() != 1) {
            throw new IllegalArgumentException(
                "Input error: SignatureDef signatureKey should not be null. null is only allowed if the model has a single Signature. Available Signatures: "
                    + this.inputs.keySet());
        }
        runSignature(inputs, outputs, this.inputs.keySet().iterator().next());
    }

    public void runSignature(Map<String, Object> inputs, Map<String, Object> outputs, String signatureKey) {
        checkOpen();
        Map<String, BridgeTensor> ins = signature(this.inputs, signatureKey);
        Map<String, BridgeTensor> outs = signature(this.outputs, signatureKey);
        JSONArray names = new JSONArray();
        List<byte[]> payload = new ArrayList<>();
        for (Map.Entry<String, Object> e : inputs.entrySet()) {
            BridgeTensor t = ins.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("Input error: input " + e.getKey() + " is not in signature "
                    + signatureKey + " (its inputs: " + ins.keySet() + ")");
            }
            names.put(e.getKey());
            payload.add(t.bytesOf(e.getValue()));
        }
        for (String name : outputs.keySet()) {
            if (!outs.containsKey(name)) {
                throw new IllegalArgumentException("Input error: output " + name + " is not in signature "
                    + signatureKey + " (its outputs: " + outs.keySet() + ")");
            }
        }
        Reply reply = exchange(json(() -> new JSONObject().put("op", "run").put("key", signatureKey)
            .put("inputs", names)), payload);
        JSONArray outNames = json(() -> reply.header.getJSONArray("outputs"));
        int offset = 0;
        for (int i = 0; i < outNames.length(); i++) {
            final int at = i;
            BridgeTensor t = outs.get(json(() -> outNames.getString(at)));
            Object dst = outputs.get(t.name);
            if (dst != null) t.copyTo(reply.payload, offset, dst);
            offset += t.numBytes();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            toBridge.close();
        } catch (IOException ignored) {
            // the bridge has exited already
        }
        bridge.destroy();
    }

    // ------------------------------------------------------------------ bridge

    /** A bridge reply: its JSON header and its raw bytes. */
    private static final class Reply {
        final JSONObject header;
        final byte[] payload;

        Reply(JSONObject header, byte[] payload) {
            this.header = header;
            this.payload = payload;
        }
    }

    /** One request (header + payload) and its reply. */
    private Reply exchange(JSONObject header, List<byte[]> payload) {
        checkOpen();
        try {
            int size = 0;
            for (byte[] b : payload) size += b.length;
            final int total = size;
            byte[] head = json(() -> header.put("bytes", total)).toString().getBytes(StandardCharsets.UTF_8);
            toBridge.writeInt(head.length);
            toBridge.write(head);
            for (byte[] b : payload) toBridge.write(b);
            toBridge.flush();
            byte[] replyHead = new byte[fromBridge.readInt()];
            fromBridge.readFully(replyHead);
            JSONObject reply = json(() -> new JSONObject(new String(replyHead, StandardCharsets.UTF_8)));
            byte[] data = new byte[json(() -> reply.getInt("bytes"))];
            fromBridge.readFully(data);
            if (reply.has("error")) throw new IllegalArgumentException(json(() -> reply.getString("error")));
            return new Reply(reply, data);
        } catch (IOException e) {
            throw new UncheckedIOException("the LiteRT bridge stopped answering", e);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("Internal error: The Interpreter has already been closed.");
    }

    /** Android's org.json throws the checked JSONException; here it means a malformed message. */
    private interface JsonStep<T> {
        T get() throws JSONException;
    }

    private static <T> T json(JsonStep<T> step) {
        try {
            return step.get();
        } catch (JSONException e) {
            throw new IllegalStateException("malformed LiteRT bridge message: " + e.getMessage(), e);
        }
    }

    private static Map<String, BridgeTensor> tensors(JSONArray list) throws JSONException {
        Map<String, BridgeTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < list.length(); i++) {
            BridgeTensor t = new BridgeTensor(list.getJSONObject(i));
            out.put(t.name, t);
        }
        return out;
    }

    private Map<String, BridgeTensor> signature(Map<String, Map<String, BridgeTensor>> side, String key) {
        checkOpen();
        Map<String, BridgeTensor> sig = side.get(key);
        if (sig == null) {
            throw new IllegalArgumentException("Input error: Signature " + key + " not found. Available Signatures: "
                + side.keySet());
        }
        return sig;
    }

    private Tensor tensor(Map<String, Map<String, BridgeTensor>> side, String name, String key, String what) {
        BridgeTensor t = signature(side, key).get(name);
        if (t == null) {
            throw new IllegalArgumentException("Input error: " + what + " " + name + " not found in signature " + key);
        }
        return t;
    }

    /** A signature tensor as the bridge describes it, and the copies in and out of Java objects. */
    private static final class BridgeTensor implements Tensor {
        final String name;
        private final DataType type;
        private final int[] shape;
        private final int elements;
        private final QuantizationParams quantization;
        private final int index;

        BridgeTensor(JSONObject d) throws JSONException {
            name = d.getString("name");
            type = DataType.fromNumpy(d.getString("dtype"));
            JSONArray s = d.getJSONArray("shape");
            shape = new int[s.length()];
            int n = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.getInt(i);
                n *= shape[i];
            }
            elements = n;
            quantization = new QuantizationParams((float) d.getDouble("scale"), d.getInt("zero_point"));
            index = d.getInt("index");
        }

        @Override public DataType dataType() { return type; }
        @Override public int numDimensions() { return shape.length; }
        @Override public int numBytes() { return elements * type.byteSize(); }
        @Override public int numElements() { return elements; }
        @Override public int[] shape() { return shape.clone(); }
        @Override public int[] shapeSignature() { return shape.clone(); }
        @Override public int index() { return index; }
        @Override public String name() { return name; }
        @Override public QuantizationParams quantizationParams() { return quantization; }

        /** The input's bytes (little-endian, the bridge's order) from a ByteBuffer or a float array. */
        byte[] bytesOf(Object src) {
            if (src instanceof ByteBuffer) {
                ByteBuffer b = (ByteBuffer) src;
                checkCapacity(b.capacity(), "to", "from");
                byte[] out = new byte[numBytes()];
                ByteBuffer view = b.duplicate();
                if (b.isDirect() && b.order() == ByteOrder.nativeOrder()) view.clear();  // zero-copy path: whole buffer
                view.get(out);
                return out;
            }
            requireFloatArray(src, "to", "from");
            ByteBuffer out = ByteBuffer.allocate(numBytes()).order(ByteOrder.LITTLE_ENDIAN);
            writeFloats(src, out);
            return out.array();
        }

        /** The output's bytes into a ByteBuffer (from its position) or a float array of its shape. */
        void copyTo(byte[] data, int offset, Object dst) {
            if (dst instanceof ByteBuffer) {
                ByteBuffer b = (ByteBuffer) dst;
                checkCapacity(b.capacity(), "from", "to");
                b.put(data, offset, numBytes());
                return;
            }
            requireFloatArray(dst, "from", "to");
            ByteBuffer in = ByteBuffer.wrap(data, offset, numBytes()).order(ByteOrder.LITTLE_ENDIAN);
            readFloats(dst, in);
        }

        private void checkCapacity(int bytes, String dir, String other) {
            if (bytes != numBytes()) {
                throw new IllegalArgumentException("Cannot copy " + dir + " a TensorFlowLite tensor (" + name + ") with "
                    + numBytes() + " bytes " + other + " a Java Buffer with " + bytes + " bytes.");
            }
        }

        private void requireFloatArray(Object o, String dir, String other) {
            if (type != DataType.FLOAT32) {
                throw new IllegalArgumentException("this stand-in copies arrays of float32 tensors only; " + name
                    + " is " + type + ": pass a ByteBuffer");
            }
            int[] got = arrayShape(o);
            if (!Arrays.equals(got, shape)) {
                throw new IllegalArgumentException("Cannot copy " + dir + " a TensorFlowLite tensor (" + name
                    + ") with shape " + Arrays.toString(shape) + " " + other + " a Java object with shape "
                    + Arrays.toString(got) + ".");
            }
        }

        private static int[] arrayShape(Object o) {
            List<Integer> dims = new ArrayList<>();
            while (o != null && o.getClass().isArray()) {
                int n = Array.getLength(o);
                dims.add(n);
                if (o instanceof float[]) {
                    o = null;
                } else if (n > 0) {
                    o = Array.get(o, 0);
                } else {
                    break;
                }
            }
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }

        private static void writeFloats(Object o, ByteBuffer out) {
            if (o instanceof float[]) {
                for (float v : (float[]) o) out.putFloat(v);
            } else {
                for (int i = 0; i < Array.getLength(o); i++) writeFloats(Array.get(o, i), out);
            }
        }

        private static void readFloats(Object o, ByteBuffer in) {
            if (o instanceof float[]) {
                float[] a = (float[]) o;
                for (int i = 0; i < a.length; i++) a[i] = in.getFloat();
            } else {
                for (int i = 0; i < Array.getLength(o); i++) readFloats(Array.get(o, i), in);
            }
        }
    }
}
