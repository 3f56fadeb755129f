import Foundation
import NN
import Testing

/// The `CheckpointError.malformed` message decoding `bytes` produces, or nil when it decodes.
private func npyDecodeError(_ bytes: [UInt8]) -> String? {
    NNFixtures.malformedMessage { _ = try NpyFile.decode(bytes, file: "x.npy") }
}

/// A v1 .npy file with the given header dict text and data (padding as numpy writes it).
private func npyBytes(header: String, data: [UInt8]) -> [UInt8] {
    var text = Array(header.utf8)
    text += [UInt8](repeating: 0x20, count: 64 - (10 + text.count + 1) % 64) + [0x0A]
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
}

@Suite("NumPy .npy read/write")
struct NpyTests {
    private let input = counterTensorValues(name: "input", shape: [2, 3, 4, 5])

    @Test("reads numpy-written float32 arrays: version 1.0 and 2.0, 4-D, 1-D and 0-D")
    func readsNumpyFiles() throws {
        for name in ["npy_f32_v1.npy", "npy_f32_v2.npy"] {
            let tensor = try NpyFile.read(NNFixtures.url(name))
            #expect(tensor.shape == [2, 3, 4, 5], "\(name)")
            #expect(tensor.floats() == input, "\(name)")
        }
        let oneD = try NpyFile.read(NNFixtures.url("npy_f32_1d.npy"))
        #expect(oneD == TensorData(shape: [7], floats: counterTensorValues(name: "input", shape: [7])))
        #expect(try NpyFile.read(NNFixtures.url("npy_f32_0d.npy")) == TensorData(shape: [], floats: [1.5]))
    }

    @Test("encoding reproduces numpy.save byte for byte")
    func encodeMatchesNumpy() throws {
        for name in ["npy_f32_v1.npy", "npy_f32_1d.npy", "npy_f32_0d.npy"] {
            let original = try [UInt8](Data(contentsOf: NNFixtures.url(name)))
            let tensor = try NpyFile.decode(original, file: name)
            #expect(NpyFile.encode(tensor) == original, "\(name)")
        }
    }

    @Test("write then read returns the same array and leaves no temporary file")
    func roundTrip() throws {
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("heatmaps.npy")
        let tensor = TensorData(shape: [2, 17, 3, 1], floats: counterTensorValues(name: "target", shape: [2, 17, 3, 1]))
        try NpyFile.write(tensor, to: url)
        #expect(try NpyFile.read(url) == tensor)
        let empty = TensorData(shape: [0, 3], floats: [])
        try NpyFile.write(empty, to: url)
        #expect(try NpyFile.read(url) == empty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["heatmaps.npy"])
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect((10 + Int(bytes[8]) + Int(bytes[9]) << 8) % 64 == 0)
    }

    @Test("float64, big-endian and Fortran-order files are errors saying what was expected")
    func wrongLayouts() throws {
        let f64 = NNFixtures.url("npy_f64.npy")
        #expect(throws: CheckpointError.malformed(file: f64.path, reason: "dtype <f8, expected <f4 (float32)")) {
            try NpyFile.read(f64)
        }
        let bigEndian = NNFixtures.url("npy_f32_bigendian.npy")
        #expect(throws: CheckpointError.malformed(file: bigEndian.path, reason: "dtype >f4, expected <f4 (float32)")) {
            try NpyFile.read(bigEndian)
        }
        let fortran = NNFixtures.url("npy_f32_fortran.npy")
        #expect(throws: CheckpointError.malformed(file: fortran.path, reason: "fortran_order is True, expected C order (False)")) {
            try NpyFile.read(fortran)
        }
    }

    @Test("malformed files are one-line errors naming the file")
    func malformedFiles() {
        let four = [UInt8](repeating: 0, count: 16)
        let cases: [(bytes: [UInt8], message: String)] = [
            ([], "not a .npy file (expected the magic string \\x93NUMPY)"),
            (Array("PK\u{3}\u{4} not numpy at all".utf8), "not a .npy file (expected the magic string \\x93NUMPY)"),
            ([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0], "unsupported .npy version 4.0, expected 1.0, 2.0 or 3.0"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0, 0x40, 0], "truncated: header length 64 runs past the end of the file (10 bytes)"),
            (npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", data: four),
             "truncated: shape [5] of <f4 needs more than the 16 data bytes"),
            (npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data: four),
             "4 bytes after the data of shape [3]"),
            (npyBytes(header: "{'descr': '<f4', 'shape': (4,), }", data: four),
             "bad header {'descr': '<f4', 'shape': (4,), }: missing key 'fortran_order'"),
            (npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", data: four),
             "bad header {'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }: expected a non-negative integer in the shape"),
            (npyBytes(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", data: four),
             "bad header {'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }: expected a quoted string"),
            (npyBytes(header: "{'descr': '<f4', 'fortran_order': maybe, 'shape': (4,), }", data: four),
             "bad header {'descr': '<f4', 'fortran_order': maybe, 'shape': (4,), }: expected True or False"),
        ]
        for (bytes, message) in cases {
            #expect(npyDecodeError(bytes) == "x.npy: " + message)
        }
        // Two spellings numpy also accepts: no trailing comma, double quotes.
        let plain = npyBytes(header: "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 2)}", data: four)
        #expect(npyDecodeError(plain) == nil)
    }

    @Test("every truncation of a valid file is an error, never a crash")
    func truncationsFail() throws {
        let original = try [UInt8](Data(contentsOf: NNFixtures.url("npy_f32_v1.npy")))
        for length in 0..<original.count {
            let error = npyDecodeError(Array(original[0..<length]))
            #expect(error?.hasPrefix("x.npy: ") == true, "prefix of \(length) bytes: \(error ?? "decoded")")
        }
    }
}
