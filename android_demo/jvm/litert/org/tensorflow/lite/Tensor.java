package org.tensorflow.lite;

/** A tensor's description, the subset of LiteRT's {@code Tensor} interface the app reads. */
public interface Tensor {

    /** Affine quantization of a tensor: real = scale * (quantized - zeroPoint). */
    class QuantizationParams {
        private final float scale;
        private final int zeroPoint;

        public QuantizationParams(float scale, int zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }

        public float getScale() {
            return scale;
        }

        public int getZeroPoint() {
            return zeroPoint;
        }
    }

    DataType dataType();

    int numDimensions();

    int numBytes();

    int numElements();

    int[] shape();

    int[] shapeSignature();

    int index();

    String name();

    QuantizationParams quantizationParams();
}
