// Strided torch tensor views → C-contiguous `TensorData`: element i of a tensor of `size`/`stride` lies at
// storage element storage_offset + Σ_k index_k · stride_k. Float storages become F32, integer/bool ones I64.

extension TorchTensorRef {
    /// The view's elements in C order, converted; `storage` is the whole storage's bytes.
    ///
    /// Throws when the view reaches outside its storage, or holds more elements than the storage (expanded
    /// views with zero strides are not supported: a state dict never holds one, and they would let a tiny file
    /// ask for an arbitrarily large allocation).
    func materialize(_ storageBytes: ArraySlice<UInt8>, file: String, key: String) throws -> TensorData {
        func fail(_ reason: String) -> CheckpointError { .malformed(file: file, reason: "tensor '\(key)': \(reason)") }
        let dtype = storage.dtype
        guard size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }), storageOffset >= 0 else {
            throw fail("negative size, stride or offset (size \(size), stride \(stride), offset \(storageOffset))")
        }
        guard let count = TensorData.checkedCount(of: size) else { throw fail("size \(size) overflows") }
        let (storageBytesNeeded, overflow) = storage.count.multipliedReportingOverflow(by: dtype.byteSize)
        let (storageStart, startOverflow) = storage.elementOffset.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, !startOverflow, storage.elementOffset >= 0, storageStart <= storageBytes.count,
              storageBytesNeeded <= storageBytes.count - storageStart
        else {
            throw fail("storage \(storage.key) declares \(storage.count) \(dtype.rawValue) elements but holds \(storageBytes.count) bytes")
        }
        guard count <= storage.count else {
            throw fail("\(count) elements (size \(size)) from a storage of \(storage.count): expanded views are not supported")
        }
        if count > 0 {
            // The last element reached: offset + Σ (size_k − 1) · stride_k, computed without overflow.
            var last = storageOffset
            for (n, s) in zip(size, stride) {
                let (step, o1) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw fail("size \(size) and stride \(stride) overflow") }
                last = sum
            }
            guard last < storage.count else {
                throw fail("view (offset \(storageOffset), size \(size), stride \(stride)) reaches element \(last) of a \(storage.count)-element storage")
            }
        }

        if count == 0 { return TensorData(shape: size, dtype: dtype.converted, bytes: []) }
        // Contiguous F32/I64 views are a plain byte copy (the bounds were checked above).
        if isContiguous, dtype == .float32 || dtype == .int64 {
            let begin = storageBytes.startIndex + storageStart + storageOffset * dtype.byteSize
            return TensorData(shape: size, dtype: dtype.converted, bytes: Array(storageBytes[begin..<(begin + count * dtype.byteSize)]))
        }

        // Otherwise gather element byte offsets in C order, then convert.
        let base = storageStart  // relative to the slice's start
        let elementSize = dtype.byteSize
        var offsets = [Int]()
        offsets.reserveCapacity(count)
        if count > 0 {
            if isContiguous {
                for i in 0..<count { offsets.append(base + (storageOffset + i) * elementSize) }
            } else {
                var index = [Int](repeating: 0, count: size.count)
                var element = storageOffset
                for _ in 0..<count {
                    offsets.append(base + element * elementSize)
                    var k = size.count - 1
                    while k >= 0 {
                        index[k] += 1
                        element += stride[k]
                        if index[k] < size[k] { break }
                        element -= stride[k] * size[k]
                        index[k] = 0
                        k -= 1
                    }
                }
            }
        }
        return storageBytes.withUnsafeBytes { bytes in
            switch dtype.converted {
            case .f32: return TensorData(shape: size, floats: offsets.map { dtype.floatValue(bytes, at: $0) })
            default: return TensorData(shape: size, int64s: offsets.map { dtype.intValue(bytes, at: $0) })
            }
        }
    }

    /// True when the strides are C-contiguous for `size` (dimensions of size 1 may have any stride).
    private var isContiguous: Bool {
        var expected = 1
        for k in stride.indices.reversed() where size[k] != 1 {
            if stride[k] != expected { return false }
            expected *= size[k]
        }
        return true
    }
}

extension TorchDType {
    /// The little-endian element at byte offset `at`, as Float.
    fileprivate func floatValue(_ bytes: UnsafeRawBufferPointer, at: Int) -> Float {
        switch self {
        case .float32: return Float(bitPattern: UInt32(truncatingIfNeeded: loadUnsigned(bytes, at, 4)))
        case .float16: return floatFromHalfBits(UInt16(truncatingIfNeeded: loadUnsigned(bytes, at, 2)))
        case .bfloat16: return Float(bitPattern: UInt32(truncatingIfNeeded: loadUnsigned(bytes, at, 2)) << 16)
        case .float64: return Float(Double(bitPattern: loadUnsigned(bytes, at, 8)))
        default: return Float(intValue(bytes, at: at))
        }
    }

    /// The little-endian element at byte offset `at`, as Int64 (sign-extended for signed types).
    fileprivate func intValue(_ bytes: UnsafeRawBufferPointer, at: Int) -> Int64 {
        switch self {
        case .int64: return Int64(bitPattern: loadUnsigned(bytes, at, 8))
        case .int32: return Int64(Int32(truncatingIfNeeded: loadUnsigned(bytes, at, 4)))
        case .int16: return Int64(Int16(truncatingIfNeeded: loadUnsigned(bytes, at, 2)))
        case .int8: return Int64(Int8(truncatingIfNeeded: loadUnsigned(bytes, at, 1)))
        case .uint8: return Int64(loadUnsigned(bytes, at, 1))
        case .bool: return loadUnsigned(bytes, at, 1) != 0 ? 1 : 0
        default: return Int64(floatValue(bytes, at: at))
        }
    }
}

private func loadUnsigned(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ width: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<width { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
    return value
}
