import Foundation
import NN
import Testing

/// safetensors_pytorch.json: what Tools/fixtures/make_io_fixtures.py saved with safetensors.torch.save_file.
private struct SafetensorsFixture: Decodable {
    struct Tensor: Decodable {
        var dtype: String
        var shape: [Int]
        var float_bits: [UInt32]?
        var int64: [Int64]?
    }
    var metadata: [String: String]
    var tensors: [String: Tensor]
}

/// A file's bytes from a header JSON string and data bytes (the length prefix computed, no padding).
private func safetensorsBytes(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) } + json + data
}

/// The `CheckpointError.malformed` message decoding `bytes` produces, or nil when it decodes.
private func decodeError(_ bytes: [UInt8]) -> String? {
    NNFixtures.malformedMessage { _ = try SafetensorsFile.decode(bytes, file: "bad.safetensors") }
}

@Suite("Safetensors read/write")
struct SafetensorsTests {
    @Test("reads the file safetensors.torch.save_file wrote: F32, I64 (0-d), F16, BF16, empty, metadata")
    func readsPyTorchFile() throws {
        let (tensors, metadata) = try SafetensorsFile.read(NNFixtures.url("safetensors_pytorch.safetensors"))
        let expected: SafetensorsFixture = try NNFixtures.json("safetensors_pytorch.json")
        #expect(metadata == expected.metadata)
        #expect(Set(tensors.keys) == Set(expected.tensors.keys))
        #expect(Set(tensors.values.map(\.dtype)) == Set(DType.allCases))
        for (name, want) in expected.tensors {
            let tensor = try #require(tensors[name])
            #expect(tensor.dtype.rawValue == want.dtype, "\(name)")
            #expect(tensor.shape == want.shape, "\(name)")
            if let bits = want.float_bits {
                #expect(tensor.floats().map(\.bitPattern) == bits, "\(name)")
            } else {
                #expect(tensor.int64s() == want.int64, "\(name)")
            }
        }
        #expect(tensors["1.num_batches_tracked"] == TensorData(shape: [], int64s: [7]))
        #expect(tensors["0.weight"]?.floats() == counterTensorValues(name: "0.weight", shape: [4, 3, 3, 3]))
    }

    @Test("encoding what was read reproduces the PyTorch-written file byte for byte")
    func encodeMatchesPythonWriter() throws {
        let url = NNFixtures.url("safetensors_pytorch.safetensors")
        let original = try [UInt8](Data(contentsOf: url))
        let (tensors, metadata) = try SafetensorsFile.read(url)
        #expect(SafetensorsFile.encode(tensors, metadata: metadata) == original)
    }

    @Test("write then read returns the same tensors and metadata, and leaves no temporary file")
    func roundTrip() throws {
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let tensors: [String: TensorData] = [
            "conv1.weight": TensorData(shape: [2, 1, 3, 3], floats: counterTensorValues(name: "conv1.weight", shape: [2, 1, 3, 3])),
            "bn1.num_batches_tracked": TensorData(shape: [], int64s: [123_456_789_012]),
            "half": TensorData(shape: [3], dtype: .f16, bytes: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00]),
            "brain": TensorData(shape: [2], dtype: .bf16, bytes: [0x80, 0x3F, 0x49, 0x40]),
            "empty": TensorData(shape: [0, 4], floats: []),
            "scalar": TensorData(shape: [], floats: [-2.5]),
            "名前 \"quoted\"\n": TensorData(shape: [1], floats: [.infinity]),
        ]
        let metadata = ["format": "pt", "epoch": "3", "json": "{\"a\": [1, 2]}"]
        try SafetensorsFile.write(tensors, metadata: metadata, to: url)
        let read = try SafetensorsFile.read(url)
        #expect(read.tensors == tensors)
        #expect(read.metadata == metadata)
        #expect(read.tensors["half"]?.floats() == [1, -2, 0x1p-24])
        #expect(read.tensors["brain"]?.floats() == [1, 3.140625])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
        // The header is padded to a multiple of 8 bytes, as the reference writer does.
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(Int(bytes[0]) % 8 == 0)

        try SafetensorsFile.write(["x": TensorData(shape: [1], floats: [1])], to: url)
        #expect(try SafetensorsFile.read(url).tensors.keys.sorted() == ["x"])
        #expect(try SafetensorsFile.read(url).metadata.isEmpty)
    }

    @Test("F16 conversion keeps subnormals, infinities, NaN and signed zero")
    func halfConversion() {
        let words: [UInt16] = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x3555]
        let tensor = TensorData(shape: [words.count], dtype: .f16, bytes: words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let f = tensor.floats()
        #expect(f[0] == 0 && f[0].sign == .plus)
        #expect(f[1] == 0 && f[1].sign == .minus)
        #expect(f[2] == 0x1p-24)
        #expect(f[3] == 1023 * 0x1p-24)
        #expect(f[4] == 0x1p-14)
        #expect(f[5] == 65504)
        #expect(f[6] == .infinity && f[7] == -.infinity)
        #expect(f[8].isNaN)
        #expect(f[9] == 0.333251953125)
    }

    @Test("a missing file is an I/O error naming the file")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/weights.safetensors")
        #expect(throws: CheckpointError.io(file: url.path, reason: "cannot open: No such file or directory")) {
            try SafetensorsFile.read(url)
        }
    }

    @Test("each kind of corruption is a one-line error naming the file and the problem")
    func corruptions() {
        let f32x2 = [UInt8](repeating: 0, count: 8)
        let cases: [(bytes: [UInt8], message: String)] = [
            ([], "truncated: 0 bytes, expected at least the 8-byte header length"),
            ([1, 0, 0], "truncated: 3 bytes, expected at least the 8-byte header length"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "header length 18446744073709551615 exceeds the 100000000-byte limit"),
            ([64, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{"), UInt8(ascii: "}")],
             "truncated: header length 64 runs past the end of the file (10 bytes)"),
            (safetensorsBytes(header: "[1, 2]", data: []), "header is not a JSON object"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}"#, data: f32x2),
             "tensor 'a' has dtype F64, expected one of F32, F16, BF16, I64"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: f32x2),
             "tensor 'a': shape [3] of F32 does not match data_offsets [0, 8] (8 bytes)"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, data: f32x2),
             "tensor 'a' has a negative dimension in shape [-2]"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, data: f32x2),
             "tensor 'a' has data_offsets [8, 0], expected [begin, end] with 0 <= begin <= end"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [2]}}"#, data: f32x2),
             "tensor 'a': header entry needs dtype (string), shape (array of integers), data_offsets ([begin, end])"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 8]}}"#, data: f32x2),
             "tensor 'a': header entry needs dtype (string), shape (array of integers), data_offsets ([begin, end])"),
            (safetensorsBytes(header: #"{"__metadata__": {"epoch": 3}}"#, data: []), "__metadata__ must map strings to strings"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: f32x2),
             "truncated: tensor 'a' has data_offsets [0, 16] beyond the 8 data bytes"),
            (safetensorsBytes(
                header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                data: f32x2),
             "tensors 'a' and 'b' overlap (data_offsets begin 4 < 8)"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, data: f32x2),
             "data bytes [0, 4) belong to no tensor (before 'a')"),
            (safetensorsBytes(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: f32x2),
             "4 data bytes after the last tensor belong to no tensor"),
        ]
        for (bytes, message) in cases {
            #expect(decodeError(bytes) == "bad.safetensors: " + message)
        }
        let badJSON = safetensorsBytes(header: #"{"a": "#, data: [])
        #expect(decodeError(badJSON) == "bad.safetensors: header is not valid UTF-8 JSON")
        let badUTF8 = safetensorsBytes(header: "{\"\u{FF}\": 1}", data: []).map { $0 == 0xC3 ? 0xFF : $0 }
        #expect(decodeError(badUTF8) == "bad.safetensors: header is not valid UTF-8 JSON")
    }

    @Test("every truncation and every single-byte change of the header fails cleanly or decodes, never crashes")
    func fuzzedFileNeverCrashes() throws {
        let original = try [UInt8](Data(contentsOf: NNFixtures.url("safetensors_pytorch.safetensors")))
        for length in 0..<original.count {
            let error = decodeError(Array(original[0..<length]))
            #expect(error?.hasPrefix("bad.safetensors: ") == true, "prefix of \(length) bytes: \(error ?? "decoded")")
        }
        let headerEnd = 8 + Int(original[0]) + Int(original[1]) << 8
        for position in 0..<headerEnd {
            for replacement: UInt8 in [0x00, 0x22, 0x30, 0x39, 0x7D, 0xFF] where original[position] != replacement {
                var bytes = original
                bytes[position] = replacement
                if let error = decodeError(bytes) {
                    #expect(error.hasPrefix("bad.safetensors: ") && !error.contains("\n"), "byte \(position): \(error)")
                }
            }
        }
    }

    @Test("a truncated file on disk names its path")
    func truncatedFileOnDisk() throws {
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cut.safetensors")
        let original = try Data(contentsOf: NNFixtures.url("safetensors_pytorch.safetensors"))
        try original.prefix(original.count - 3).write(to: url)
        #expect(throws: CheckpointError.malformed(
            file: url.path, reason: "truncated: tensor 'half.weight' has data_offsets [530, 542] beyond the 539 data bytes")
        ) {
            try SafetensorsFile.read(url)
        }
    }
}
