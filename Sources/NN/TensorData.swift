// A tensor as plain bytes: the value file formats (safetensors, .npy) read and write.
// Raw bytes are little-endian, as both formats store them (and as every platform we build for is).

#if _endian(big)
#error("TensorData assumes a little-endian host: safetensors and .npy data are little-endian")
#endif

/// Element types of the weights files SwiftPose reads and writes; raw values are safetensors' dtype names.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i64: return 8
        }
    }

    /// True for the dtypes `TensorData.floats()` reads.
    public var isFloatingPoint: Bool { self != .i64 }
}

/// An N-d array (C order) as its little-endian bytes; `bytes.count == shape.product × dtype.byteSize`.
public struct TensorData: Sendable, Equatable {
    public let shape: [Int]
    public let dtype: DType
    public let bytes: [UInt8]

    /// Wraps raw bytes; the caller guarantees `bytes.count == count(of: shape) × dtype.byteSize`.
    public init(shape: [Int], dtype: DType, bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "TensorData: negative dimension in shape \(shape)")
        precondition(
            bytes.count == TensorData.count(of: shape) * dtype.byteSize,
            "TensorData: \(bytes.count) bytes for shape \(shape) of \(dtype.rawValue)")
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }

    /// A float32 tensor holding `floats` in C order.
    public init(shape: [Int], floats: [Float]) {
        precondition(floats.count == TensorData.count(of: shape), "TensorData: \(floats.count) floats for shape \(shape)")
        self.init(shape: shape, dtype: .f32, bytes: floats.withUnsafeBytes { [UInt8]($0) })
    }

    /// An int64 tensor holding `int64s` in C order (e.g. `num_batches_tracked`, shape `[]`).
    public init(shape: [Int], int64s: [Int64]) {
        precondition(int64s.count == TensorData.count(of: shape), "TensorData: \(int64s.count) values for shape \(shape)")
        self.init(shape: shape, dtype: .i64, bytes: int64s.withUnsafeBytes { [UInt8]($0) })
    }

    /// Number of elements: the product of `shape` (1 for a 0-d tensor).
    public var count: Int { TensorData.count(of: shape) }

    /// The elements as Float; F16 and BF16 convert exactly. Requires a floating-point `dtype` (check it first).
    public func floats() -> [Float] {
        switch dtype {
        case .f32:
            return reinterpretBytes(as: Float.self)
        case .f16:
            return halfWords().map(floatFromHalfBits)
        case .bf16:
            return halfWords().map { Float(bitPattern: UInt32($0) << 16) }
        case .i64:
            preconditionFailure("TensorData.floats(): dtype is I64; use int64s()")
        }
    }

    /// The elements as Int64. Requires `dtype == .i64` (check it first).
    public func int64s() -> [Int64] {
        precondition(dtype == .i64, "TensorData.int64s(): dtype is \(dtype.rawValue), expected I64")
        return reinterpretBytes(as: Int64.self)
    }

    /// Product of the dimensions, or nil when it overflows `Int`.
    static func checkedCount(of shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    static func count(of shape: [Int]) -> Int {
        guard let n = checkedCount(of: shape) else { preconditionFailure("TensorData: shape \(shape) overflows Int") }
        return n
    }

    private func halfWords() -> [UInt16] { reinterpretBytes(as: UInt16.self) }

    /// The bytes copied into an array of a trivial element type of `dtype.byteSize` bytes.
    private func reinterpretBytes<T>(as _: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }
}

/// IEEE 754 binary16 bits → Float (exact; subnormals, infinities and NaN payloads kept).
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x03FF)
    switch exponent {
    case 0:
        // ±0 or subnormal: mantissa × 2^-24, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
