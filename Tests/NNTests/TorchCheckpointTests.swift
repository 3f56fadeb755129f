import Foundation
import NN
import Testing

/// The error `body` throws, or nil when it returns.
private func thrownError(_ body: () throws -> Void) -> Error? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// Protocol-2 pickle calling `module.name("x")` through GLOBAL + REDUCE.
private func globalCallPickle(_ module: String, _ name: String) -> [UInt8] {
    [0x80, 0x02, 0x63] + Array("\(module)\n\(name)\n".utf8) + [0x58, 1, 0, 0, 0, 0x78, 0x85, 0x52, 0x2E]
}

/// Protocol-4 pickle calling `module.name("x")` through STACK_GLOBAL + REDUCE.
private func stackGlobalCallPickle(_ module: String, _ name: String) -> [UInt8] {
    [0x80, 0x04, 0x8C, UInt8(module.utf8.count)] + Array(module.utf8) + [0x8C, UInt8(name.utf8.count)] + Array(name.utf8)
        + [0x93, 0x8C, 1, 0x78, 0x85, 0x52, 0x2E]
}

@Suite("TorchCheckpoint: reading torch.save files")
struct TorchCheckpointTests {
    @Test("reads every model fixture (zip and legacy, wrappers, DataParallel, mmpose, float16) with exact values",
          arguments: ["simplebaseline_dp.pth", "simplebaseline_legacy.pth.tar", "torchvision_resnet18.pth",
                      "mmpose0.pth", "mmpose1_f16.pth"])
    func readsModelFixture(file: String) throws {
        let fixture = try TorchCheckpointFixture.load()
        let want = try #require(fixture.models[file])
        let checkpoint = try TorchCheckpoint.read(TorchCheckpointFixture.url(file))
        #expect(checkpoint.format.rawValue == want.format)
        #expect(checkpoint.wrapperPath == want.wrapper_path)
        #expect(Set(checkpoint.tensors.keys) == Set(want.tensors.keys))
        #expect(checkpoint.keys.count == checkpoint.tensors.count)
        #expect(Set(checkpoint.skipped.map(\.key)) == Set(want.checkpoint_skipped))
        for (key, tensor) in want.tensors {
            let got = try #require(checkpoint.tensors[key], "\(key)")
            #expect(got == tensor.expected(storageDType: want.storage_dtype), "\(file): \(key)")
        }
    }

    @Test("views: storage offsets, shared storages, transposed/stepped strides, 0-d, empty, dtype conversions",
          arguments: ["views.pth", "views_legacy.pth", "views_protocol4.pth"])
    func readsViews(file: String) throws {
        let want = try TorchCheckpointFixture.load().views
        let checkpoint = try TorchCheckpoint.read(TorchCheckpointFixture.url(file))
        #expect(Set(checkpoint.tensors.keys) == Set(want.tensors.keys))
        #expect(checkpoint.skipped.map(\.key) == want.skipped)
        for (key, value) in want.tensors {
            let got = try #require(checkpoint.tensors[key], "\(key)")
            #expect(got.shape == value.shape, "\(key)")
            #expect(got.dtype.rawValue == value.dtype, "\(key)")
            if let bits = value.float_bits {
                #expect(got.floats().map(\.bitPattern) == bits, "\(file): \(key)")
            } else {
                #expect(got.int64s() == value.int64, "\(file): \(key)")
            }
        }
        // File order is kept.
        #expect(checkpoint.keys.prefix(3) == ["base", "offset", "shared_same"])
    }

    @Test("a legacy storage view (torch 0.4): the view's offset and the tensor's offset add up")
    func legacyStorageView() throws {
        let want = try TorchCheckpointFixture.load().legacy_storage_view
        let checkpoint = try TorchCheckpoint.read(TorchCheckpointFixture.url("legacy_storage_view.pth"))
        #expect(checkpoint.format == .legacy)
        #expect(checkpoint.tensors.mapValues { $0.floats() } == want)
    }

    @Test("refuses the fixture pickles that reference os.system, posix.system and builtins.eval, naming the global",
          arguments: ["evil_os_system.pth", "evil_posix_system.pth", "evil_builtins_eval_legacy.pth"])
    func refusesFixture(file: String) throws {
        let global = try #require(try TorchCheckpointFixture.load().refused[file])
        let url = TorchCheckpointFixture.url(file)
        let error = thrownError { _ = try TorchCheckpoint.read(url) }
        #expect(error as? CheckpointError == .refusedGlobal(file: url.path, global: global))
        #expect("\(error!)".contains("'\(global)'"))
    }

    @Test("refuses any global outside the allowlist, via GLOBAL or STACK_GLOBAL, in the legacy header or a zip",
          arguments: ["os.system", "posix.system", "nt.system", "builtins.eval", "builtins.exec", "__builtin__.eval",
                      "subprocess.Popen", "builtins.getattr", "torch.load", "torch.serialization.load",
                      "collections.defaultdict", "numpy.load", "torch._utils.something_else"])
    func refusesGlobals(dotted: String) throws {
        let split = dotted.split(separator: ".")
        let module = split.dropLast().joined(separator: ".")
        let name = String(split.last!)
        for pickle in [globalCallPickle(module, name), stackGlobalCallPickle(module, name)] {
            let error = thrownError { _ = try TorchCheckpoint.decode(pickle, file: "evil.pth") }
            #expect(error as? CheckpointError == .refusedGlobal(file: "evil.pth", global: dotted))
        }
    }

    @Test("a truncated zip, a non-checkpoint file and an empty file each get a one-line error")
    func clearErrors() throws {
        let zip = try TorchCheckpointFixture.bytes("views.pth")
        for cut in [zip.count - 1, zip.count - 30, zip.count / 2, 100, 4] {
            let message = NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(Array(zip.prefix(cut)), file: "t.pth") }
            #expect(message?.hasPrefix("t.pth: ") == true, "cut \(cut): \(message ?? "no error")")
            #expect(message?.contains("\n") == false)
        }
        let truncated = NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(Array(zip.prefix(zip.count / 2)), file: "t.pth") }
        #expect(truncated == "t.pth: truncated or not a zip archive: no end-of-central-directory record")

        let json = try TorchCheckpointFixture.bytes("torch_checkpoints.json")
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(json, file: "x.json") }
            == "x.json: not a PyTorch checkpoint: expected a zip archive (torch ≥ 1.6) or a pickle (legacy torch.save)")
        let safetensors = try [UInt8](Data(contentsOf: NNFixtures.url("safetensors_pytorch.safetensors")))
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(safetensors, file: "w.safetensors") } != nil)
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode([], file: "e.pth") } != nil)

        // A plain pickle that is not a torch checkpoint.
        let plain: [UInt8] = [0x80, 0x02, 0x4B, 0x05, 0x2E]  // pickle.dumps(5, protocol=2)
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(plain, file: "p.pkl") }
            == "p.pkl: not a PyTorch checkpoint: a pickle without torch's magic number 0x1950a86a20f9469cfc6c")
    }

    @Test("deeply nested and cyclic pickles are rejected and released without exhausting the stack")
    func deepNesting() {
        let depth = 200_000
        // depth × EMPTY_LIST, then depth−1 × APPEND: a chain of lists nested `depth` deep.
        let lists: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        // None wrapped in `depth` TUPLE1s.
        let tuples: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: depth) + [0x2E]
        // A list appended to itself: EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP.
        let cycle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        for pickle in [lists, tuples, cycle] {
            let message = NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(pickle, file: "deep.pth") }
            #expect(message == "deep.pth: not a PyTorch checkpoint: a pickle without torch's magic number 0x1950a86a20f9469cfc6c")
        }
    }

    @Test("a legacy file without a state dict says what it holds instead")
    func noStateDict() {
        // magic (LONG1), protocol 1001 (BININT2), sys_info {}, then the object pickle, then the key list [].
        let header: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
                               0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]
        let keyList: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
        // {'epoch': 3}
        let epoch: [UInt8] = [0x80, 0x02, 0x7D, 0x58, 5, 0, 0, 0] + Array("epoch".utf8) + [0x4B, 3, 0x73, 0x2E]
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(header + epoch + keyList, file: "e.pth") }
            == "e.pth: no tensors found: top-level keys [epoch], expected a state_dict or a 'state_dict'/'model' entry holding one")
        let list: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(header + list + keyList, file: "l.pth") }
            == "l.pth: checkpoint holds a list, expected a dict (a state_dict)")
        // Cut inside the storage key list.
        #expect(NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(header + epoch + [0x80, 0x02], file: "t.pth") }
            == "t.pth: truncated pickle: no STOP opcode before the end of the data")
    }

    @Test("the ZIP64 end record is used when the classic end record's fields are saturated (0xFFFF…)")
    func zip64EndRecord() throws {
        var bytes = try TorchCheckpointFixture.bytes("views.pth")
        // torch writes a ZIP64 end record and locator before the classic end record (the last 22 bytes here).
        let eocd = bytes.count - 22
        #expect(Array(bytes[eocd..<(eocd + 4)]) == [0x50, 0x4B, 0x05, 0x06])
        #expect(Array(bytes[(eocd - 20)..<(eocd - 16)]) == [0x50, 0x4B, 0x06, 0x07])
        for i in 8..<20 { bytes[eocd + i] = 0xFF }  // entry counts, directory size and offset
        let checkpoint = try TorchCheckpoint.decode(bytes, file: "z64.pth")
        #expect(checkpoint.tensors.count == 15)
    }

    @Test("a corrupted storage in a zip is caught by its CRC-32")
    func crcMismatch() throws {
        var bytes = try TorchCheckpointFixture.bytes("views.pth")
        // The first float of `base` (-2.0 = 0xC0000000): flip a bit in its data/0 entry.
        let pattern: [UInt8] = [0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0xE0, 0xBF]  // -2.0, -1.75
        let index = try #require((0..<(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == pattern })
        bytes[index] ^= 1
        let message = NNFixtures.malformedMessage { _ = try TorchCheckpoint.decode(bytes, file: "c.pth") }
        #expect(message?.contains("CRC-32 mismatch") == true, "\(message ?? "no error")")
    }

    /// Zip entries are CRC-checked, so flips inside them mostly end there; legacy files have no checksum, so
    /// there the unpickler and the storage reader see the damaged bytes themselves.
    @Test("fuzz: 1,200 seeded byte flips and truncations of valid files never crash", arguments: [
        "views.pth", "views_legacy.pth", "views_protocol4.pth", "mmpose1_f16.pth", "simplebaseline_legacy.pth.tar",
        "legacy_storage_view.pth",
    ])
    func fuzz(file: String) throws {
        let original = try TorchCheckpointFixture.bytes(file)
        var rng = SplitMix(seed: 0x5EED_0000 &+ UInt64(file.utf8.count))
        var outcomes = (ok: 0, failed: 0)
        for trial in 0..<200 {
            var bytes = original
            switch trial % 4 {
            case 0:  // truncate
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            case 1:  // flip 1–8 random bytes
                for _ in 0..<(1 + Int(rng.next() % 8)) { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 + rng.next() % 255) }
            case 2:  // flip bytes of the pickle region / headers only (the first 600 bytes and the last 300)
                let count = bytes.count
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let at = rng.next() % 2 == 0 ? Int(rng.next() % UInt64(min(600, count))) : count - 1 - Int(rng.next() % UInt64(min(300, count)))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            default:  // overwrite a random byte with a boundary value
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = [0x00, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
            }
            do {
                let checkpoint = try TorchCheckpoint.decode(bytes, file: "fuzz.pth")
                _ = mapTorchStateDict(checkpoint)
                outcomes.ok += 1
            } catch is CheckpointError {
                outcomes.failed += 1
            }
        }
        #expect(outcomes.ok + outcomes.failed == 200)
        #expect(outcomes.failed > 0)
    }
}

/// SplitMix64: a seeded generator for the fuzz cases.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
