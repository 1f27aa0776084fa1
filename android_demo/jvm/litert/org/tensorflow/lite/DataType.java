package org.tensorflow.lite;

/** The tensor types of LiteRT's Java API (same names and byte sizes). */
public enum DataType {
    FLOAT32(4),
    INT32(4),
    UINT8(1),
    INT64(8),
    STRING(-1),
    BOOL(1),
    INT16(2),
    INT8(1);

    private final int byteSize;

    DataType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes of one element (-1 for STRING). */
    public int byteSize() {
        return byteSize;
    }

    /** The type of a NumPy dtype name as the bridge reports it. */
    static DataType fromNumpy(String name) {
        switch (name) {
            case "float32": return FLOAT32;
            case "int32": return INT32;
            case "uint8": return UINT8;
            case "int64": return INT64;
            case "bool": return BOOL;
            case "int16": return INT16;
            case "int8": return INT8;
            default: throw new IllegalArgumentException("DataType error: tensor type " + name + " is not supported");
        }
    }
}
