// Counter-based deterministic tensor values for parity fixtures; Tools/fixtures/counter_init.py is the
// Python twin and both must agree bit for bit (Tests/NNTests/CounterInitTests.swift pins it).
//   h   = FNV-1a 64-bit over the UTF-8 bytes of the tensor's state_dict key
//   z_i = SplitMix64 finalizer of h + (i + 1) · 0x9E3779B97F4A7C15   (i = flat C-order index, mod 2^64)
//   u_i = (z_i >> 11) · 2^-53 ∈ [0, 1)

/// u_0 … u_{count-1} ∈ [0, 1) for the tensor named `name`; a pure function of (name, index).
public func counterUniform(name: String, count: Int) -> [Double] {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x100_0000_01b3
    }
    return (0..<count).map { i in
        var z = h &+ (UInt64(i) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        return Double(z >> 11) * 0x1p-53
    }
}

/// Fixture values for state_dict key `name` with `shape`, computed in Double and rounded to Float.
///
/// By key suffix: `running_var` 0.75 + 0.5u; `running_mean` and `bias` 0.1(2u−1); `num_batches_tracked` 0;
/// `weight` of rank 1 (BatchNorm) 1 + 0.2(2u−1); `weight` `[a, b, kh, kw]` (2u−1)·√(3 / (b·kh·kw));
/// anything else (`input`, `target`) 2u−1.
public func counterTensorValues(name: String, shape: [Int]) -> [Float] {
    let count = shape.reduce(1, *)
    if name.hasSuffix("num_batches_tracked") { return [Float](repeating: 0, count: count) }
    let value: (Double) -> Double
    if name.hasSuffix("running_var") {
        value = { 0.75 + 0.5 * $0 }
    } else if name.hasSuffix("running_mean") || name.hasSuffix("bias") {
        value = { 0.1 * (2.0 * $0 - 1.0) }
    } else if name.hasSuffix("weight"), shape.count == 1 {
        value = { 1.0 + 0.2 * (2.0 * $0 - 1.0) }
    } else if name.hasSuffix("weight"), shape.count == 4 {
        let scale = (3.0 / Double(shape[1] * shape[2] * shape[3])).squareRoot()
        value = { (2.0 * $0 - 1.0) * scale }
    } else {
        value = { 2.0 * $0 - 1.0 }
    }
    return counterUniform(name: name, count: count).map { Float(value($0)) }
}

/// A state dict filled with fixture values: I64 zeros for `num_batches_tracked`, F32 counter values otherwise.
public func counterStateDict(shapes: [String: [Int]]) -> [String: TensorData] {
    shapes.reduce(into: [:]) { dict, entry in
        let (name, shape) = entry
        if name.hasSuffix("num_batches_tracked") {
            dict[name] = TensorData(shape: shape, int64s: [Int64](repeating: 0, count: shape.reduce(1, *)))
        } else {
            dict[name] = TensorData(shape: shape, floats: counterTensorValues(name: name, shape: shape))
        }
    }
}

/// `n` flat indices in `0..<count` for sampling the tensor `key`: ⌊u_j · count⌋ of the name `"sample:" + key`,
/// as the model fixtures (`make_model_fixtures.py`) choose them.
public func counterSampleIndices(key: String, count: Int, n: Int = 16) -> [Int] {
    counterUniform(name: "sample:" + key, count: n).map { min(Int(($0 * Double(count)).rounded(.down)), count - 1) }
}
