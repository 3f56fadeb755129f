import Foundation
import Keypoints
import NN
import Optim
import PoseModels
import Tensors
import Testing
@testable import Training

/// training_step.json (Tools/fixtures/make_training_fixtures.py).
struct TrainingStepFixture: Decodable {
    struct Gradient: Decodable {
        var shape: [Int]
        var sum: Double
        var l2: Double
        var max_abs: Double
        var indices: [Int]
        var values: [Float]
    }
    struct Samples: Decodable {
        var sum: Double
        var l2: Double
        var max_abs: Double
        var indices: [Int]
        var values: [Double]
    }
    struct Form: Decodable {
        var loss: Double
        var grads: [String: Gradient]
        var output_loss: Double
        var d_output: Samples
    }
    struct Input: Decodable {
        var name: String
        var shape: [Int]
    }
    struct Target: Decodable {
        var name: String
        var scale: Float
        var shape: [Int]
    }
    var model: String
    var input: Input
    var target: Target
    var target_weights: [Float]
    var output: String
    var forms: [String: Form]

    static func load() throws -> TrainingStepFixture {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: try fixturePath("training_step.json"))))
    }

    var targetTensor: Tensor {
        Tensor(shape: target.shape, values: counterTensorValues(name: target.name, shape: target.shape).map { $0 * target.scale })
    }
    var weightTensor: Tensor { Tensor(shape: [target.shape[0], target.shape[1]], values: target_weights) }
}

private func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-30) }

/// A tiny training setup: a synthetic dataset in a temporary folder and a res18 config at 64×64.
struct TinyRun {
    let folder: URL
    var config: TrainConfig

    init(trainImages: Int = 4, batchSize: Int = 3) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("TrainingTests-\(UUID().uuidString)")
        _ = try writeSynthDataset(to: folder.appendingPathComponent("data"),
                                  options: SynthOptions(trainCount: trainImages, valCount: 0, seed: 3))
        config = try TrainConfig.load(yaml: """
            model: {name: res18}
            data: {root: \(folder.appendingPathComponent("data").path), input_size: [64, 64], heatmap_size: [16, 16],
                   augmentation: simplebaseline, workers: 1}
            schedule: {epochs: 2, warmup_iters: 3, milestones: [1]}
            train: {batch_size: \(batchSize), accumulation_steps: 1, log_interval: 100, checkpoint_interval: 100}
            """, source: "tiny")
    }

    func trainer(_ name: String, epochs: Int? = nil, change: (inout TrainConfig) -> Void = { _ in }) throws -> Trainer {
        var config = self.config
        if let epochs { config.schedule.epochs = epochs }
        change(&config)
        let trainer = try Trainer(config: config, workDir: folder.appendingPathComponent(name))
        trainer.validationEnabled = false
        trainer.output = { _ in }
        trainer.liveProgress = false
        return trainer
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Model state and optimizer state as comparable arrays.
private func snapshot(_ trainer: Trainer) -> ([String: TensorData], [NamedArray]) {
    (trainer.model.stateDict(), trainer.optimizer.stateArrays().sorted { $0.name < $1.name })
}

/// Bitwise equality by memcmp (Array's element-wise `==` takes seconds on 46 MB in a debug build).
private func sameBytes<T>(_ a: [T], _ b: [T]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } }
}

/// Same keys, shapes, dtypes and bytes.
private func identical(_ a: [String: TensorData], _ b: [String: TensorData]) -> Bool {
    a.count == b.count && a.allSatisfy { key, x in
        guard let y = b[key] else { return false }
        return x.shape == y.shape && x.dtype == y.dtype && sameBytes(x.bytes, y.bytes)
    }
}

/// Same names, shapes and bit patterns.
private func identical(_ a: [NamedArray], _ b: [NamedArray]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.shape == $1.shape && sameBytes($0.values, $1.values) }
}

@Suite(.serialized)
struct TrainerTests {
    @Test("both loss forms and d loss / d output equal PyTorch on the fixture output (1e-5 relative)",
          arguments: LossForm.allCases)
    func lossMatchesTorch(form: LossForm) throws {
        let fixture = try TrainingStepFixture.load()
        let reference = try #require(fixture.forms[form.rawValue])
        let stored = try NpyFile.read(URL(fileURLWithPath: try fixturePath(fixture.output)))
        let output = Tensor(shape: stored.shape, values: stored.floats())
        output.requiresGrad = true
        let loss = form.loss(output, target: fixture.targetTensor, weights: fixture.weightTensor)
        #expect(relativeError(Double(loss.item()), reference.output_loss) <= 1e-5, "loss \(loss.item()) vs \(reference.output_loss)")
        backward(loss)
        let grad = try #require(output.grad).toArray()
        // Elements of zero-weight joints have exactly zero gradient; the rest within 1e-5 of the largest.
        for (i, v) in zip(reference.d_output.indices, reference.d_output.values) {
            #expect(abs(Double(grad[i]) - v) <= 1e-5 * reference.d_output.max_abs, "d output[\(i)] = \(grad[i]), expected \(v)")
        }
        let l2 = grad.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(relativeError(l2, reference.d_output.l2) <= 1e-5)
        let weights = fixture.target_weights, plane = 16 * 16
        for (j, w) in weights.enumerated() where w == 0 {
            #expect(grad[(j * plane)..<((j + 1) * plane)].allSatisfy { $0 == 0 })
        }
    }

    @Test("one training step of res18 at 64×64: loss and every gradient's l2 equal PyTorch (1e-5 relative)",
          arguments: LossForm.allCases)
    func stepMatchesTorch(form: LossForm) throws {
        let fixture = try TrainingStepFixture.load()
        let reference = try #require(fixture.forms[form.rawValue])
        let model = PoseNet(name: try ModelName(parsing: fixture.model))
        try model.loadStateDict(counterStateDict(shapes: model.stateShapes()), file: "counter")
        model.train()
        model.requiresGrad(true)
        let x = Tensor(shape: fixture.input.shape, values: counterTensorValues(name: fixture.input.name, shape: fixture.input.shape))
        let loss = form.loss(model(x), target: fixture.targetTensor, weights: fixture.weightTensor)
        #expect(relativeError(Double(loss.item()), reference.loss) <= 1e-5, "loss \(loss.item()) vs \(reference.loss)")
        backward(loss)
        // Float32 engine vs the float64 reference: every parameter's gradient l2 within 1e-5 relative (measured
        // worst: 7.3e-6, layer1.1.bn1.weight), sampled elements within 1e-4 of the tensor's largest |g| (measured
        // worst: 2.2e-5; single elements can be near zero, so not relative to themselves).
        for (key, tensor) in model.namedParameters() {
            let ref = try #require(reference.grads[key])
            let g = try #require(tensor.grad, "\(key): no gradient").toArray()
            let l2 = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(relativeError(l2, ref.l2) <= 1e-5, "\(key) l2 \(l2) vs \(ref.l2)")
            for (i, v) in zip(ref.indices, ref.values) {
                #expect(abs(g[i] - v) <= 1e-4 * Float(ref.max_abs), "\(key)[\(i)] = \(g[i]), expected \(v)")
            }
        }
    }

    @Test("gradient accumulation over 2 micro-batches equals one step on the whole batch (BN aside: eval-mode check)")
    func accumulationAveragesGradients() throws {
        let run = try TinyRun(trainImages: 4, batchSize: 4)
        defer { run.remove() }
        let whole = try run.trainer("a")
        let split = try run.trainer("b") { $0.train.accumulationSteps = 2 }
        let batch = whole.loader.makeBatch(0, epoch: 0, order: whole.loader.order(epoch: 0))
        try #require(batch.count == 4)
        // Eval mode, so that BatchNorm uses the same (running) statistics for halves and whole.
        whole.model.eval(); split.model.eval()
        whole.model.requiresGrad(true); split.model.requiresGrad(true)
        _ = try whole.forwardBackward(batch)
        func half(_ r: Range<Int>) -> Batch {
            let plane = 3 * 64 * 64, heat = 17 * 16 * 16
            return Batch(count: r.count, images: Array(batch.images[(r.lowerBound * plane)..<(r.upperBound * plane)]),
                         targets: Array(batch.targets[(r.lowerBound * heat)..<(r.upperBound * heat)]),
                         targetWeights: Array(batch.targetWeights[(r.lowerBound * 17)..<(r.upperBound * 17)]),
                         meta: Array(batch.meta[r]), indices: Array(batch.indices[r]))
        }
        _ = try split.forwardBackward(half(0..<2), gradientScale: 0.5)
        _ = try split.forwardBackward(half(2..<4), gradientScale: 0.5)
        for ((key, a), (_, b)) in zip(whole.model.namedParameters(), split.model.namedParameters()) {
            let ga = try #require(a.grad).toArray(), gb = try #require(b.grad).toArray()
            let scale = ga.map(abs).max()!
            let error = zip(ga, gb).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-4 * scale + 1e-12, "\(key): max error \(error) of \(scale)")
        }
    }

    @Test("train.precision bf16 runs the model's convolutions in bf16: loss and gradients close to fp32, not equal")
    func bf16Autocast() throws {
        guard bf16ConvolutionImplementation() != nil else {
            print("skipped train.precision bf16: no native bf16 convolutions on this CPU")
            return
        }
        let run = try TinyRun(trainImages: 4, batchSize: 4)
        defer { run.remove() }
        let fp32 = try run.trainer("fp32")
        let bf16 = try run.trainer("bf16") { $0.train.precision = .bf16 }
        let batch = fp32.loader.makeBatch(0, epoch: 0, order: fp32.loader.order(epoch: 0))
        fp32.model.requiresGrad(true); bf16.model.requiresGrad(true)
        let lossFP32 = try fp32.forwardBackward(batch), lossBF16 = try bf16.forwardBackward(batch)
        #expect(lossFP32 != lossBF16, "bf16 loss equals fp32: autocast did not apply")
        #expect(abs(lossBF16 - lossFP32) <= 2e-2 * abs(lossFP32), "loss \(lossBF16) vs \(lossFP32)")
        // Every convolution's backward rounds its output gradient to bf16 (8 mantissa bits), so gradients drift
        // from fp32's more the further they travel back: at this initialisation the stem's and first blocks'
        // gradients keep a cosine of ~0.88–0.93 with fp32 (batch-norm sums cancel, which magnifies rounding), the
        // head's ~1. The op tests check the arithmetic exactly; this checks the wiring: all gradients together
        // point the same way, none is unrelated to fp32's (a wrong kernel gives cosine ~0), sizes agree.
        var dot = 0.0, normA = 0.0, normB = 0.0
        for ((key, a), (_, b)) in zip(fp32.model.namedParameters(), bf16.model.namedParameters()) {
            let ga = try #require(a.grad).toArray().map(Double.init), gb = try #require(b.grad).toArray().map(Double.init)
            let d = zip(ga, gb).reduce(0) { $0 + $1.0 * $1.1 }
            let na = ga.reduce(0) { $0 + $1 * $1 }, nb = gb.reduce(0) { $0 + $1 * $1 }
            (dot, normA, normB) = (dot + d, normA + na, normB + nb)
            guard na > 1e-24 else { continue }
            #expect(d / (na * nb).squareRoot() >= 0.8, "\(key): cosine \(d / (na * nb).squareRoot())")
            #expect(abs(nb.squareRoot() - na.squareRoot()) <= 0.2 * na.squareRoot(), "\(key): l2 \(nb.squareRoot()) vs \(na.squareRoot())")
        }
        #expect(dot / (normA * normB).squareRoot() >= 0.99, "all gradients: cosine \(dot / (normA * normB).squareRoot())")
        print("bf16 vs fp32 gradient cosine, all parameters: \(dot / (normA * normB).squareRoot())")
    }

    @Test("resume at an epoch boundary and mid-epoch gives weights and optimizer state bit-identical to a straight run")
    func resumeIsBitIdentical() throws {
        let run = try TinyRun()
        defer { run.remove() }
        // 4 images: 2–4 micro-batches of 3 per epoch.
        let straight = try run.trainer("straight")
        #expect(try straight.run() == .finished)
        let reference = snapshot(straight)

        // Epoch boundary: a 1-epoch run, then a 2-epoch run resumed from its `latest`.
        let first = try run.trainer("boundary", epochs: 1)
        #expect(try first.run() == .finished)
        let second = try run.trainer("boundary")
        try second.resume(from: first.latestURL)
        #expect(second.progress.epoch == 1 && second.progress.batchInEpoch == 0)
        #expect(try second.run() == .finished)
        let boundary = snapshot(second)
        #expect(identical(boundary.0, reference.0))
        #expect(identical(boundary.1, reference.1))

        // Mid-epoch: stop after 4 optimizer steps (epoch 2, step 1 of 3), as SIGINT does, then resume.
        let interrupted = try run.trainer("mid")
        interrupted.shouldStop = { interrupted.progress.iteration == interrupted.stepsPerEpoch + 1 }
        let outcome = try interrupted.run()
        #expect(outcome == .interrupted(checkpoint: interrupted.latestURL))
        let resumed = try run.trainer("mid")
        try resumed.resume(from: interrupted.latestURL)
        #expect(resumed.progress.epoch == 1 && resumed.progress.batchInEpoch == 1)
        #expect(try resumed.run() == .finished)
        let mid = snapshot(resumed)
        #expect(identical(mid.0, reference.0))
        #expect(identical(mid.1, reference.1))
        #expect(resumed.progress.iteration == straight.progress.iteration)
    }

    @Test("a checkpoint write killed before its rename leaves the previous checkpoint loadable")
    func interruptedWriteKeepsPreviousCheckpoint() throws {
        let run = try TinyRun(trainImages: 2)
        defer { run.remove() }
        let trainer = try run.trainer("kill", epochs: 1)
        #expect(try trainer.run() == .finished)
        let url = trainer.latestURL
        let before = try Data(contentsOf: url)
        // What a SIGKILL during `save` leaves: a partly written temporary file beside the checkpoint
        // (FileIO.writeAtomically's `.<name>.tmp-<pid>-<random>`), never a partly written checkpoint.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".latest.safetensors.tmp-99999-1")
        try before.prefix(before.count / 2).write(to: temporary)
        let reread = try TrainingCheckpoint.read(url)
        #expect(reread.progress.epoch == 1)
        let resumed = try run.trainer("kill", epochs: 2)
        try resumed.resume(from: url)
        #expect(identical(resumed.model.stateDict(), trainer.model.stateDict()))
        // The next save still succeeds and replaces the file whole.
        try resumed.save(to: url)
        #expect(try TrainingCheckpoint.read(url).progress.epoch == 1)
        // The half-written file itself is rejected as malformed, not loaded.
        #expect(throws: CheckpointError.self) { try SafetensorsFile.read(temporary) }
    }

    @Test("a checkpoint loads as plain weights: model keys unprefixed, optimizer state under optimizer.*")
    func checkpointLayout() throws {
        let run = try TinyRun(trainImages: 2)
        defer { run.remove() }
        let trainer = try run.trainer("layout", epochs: 1)
        _ = try trainer.run()
        let (tensors, metadata) = try SafetensorsFile.read(trainer.latestURL)
        let modelKeys = Set(tensors.keys.filter { !$0.hasPrefix("optimizer.") })
        #expect(modelKeys == Set(trainer.model.stateShapes().keys))
        #expect(tensors["optimizer.conv1.weight.exp_avg"]?.shape == [64, 3, 7, 7])
        #expect(tensors["optimizer.conv1.weight.step"]?.shape == [])
        #expect(metadata["swiftpose_checkpoint"] == "1" && metadata["model"] == "res18" && metadata["epoch"] == "1")
        #expect(try TrainConfig.load(yaml: metadata["config"]!) == trainer.config)
        #expect(metadata["scheduler"]?.contains("\"last_iteration\":\(trainer.progress.iteration)") == true)
    }

    @Test("resuming with another model or another config is refused and changes nothing")
    func resumeMismatchIsRefused() throws {
        let run = try TinyRun(trainImages: 2)
        defer { run.remove() }
        let trainer = try run.trainer("mismatch", epochs: 1)
        _ = try trainer.run()
        let before = try Data(contentsOf: trainer.latestURL)
        let otherModel = try run.trainer("mismatch") { $0.model.name = "res34" }
        #expect {
            try otherModel.resume(from: trainer.latestURL)
        } throws: { error in
            "\(error)".contains("it holds res18") && "\(error)".contains("this run trains res34")
        }
        let otherConfig = try run.trainer("mismatch") { $0.optimizer.lr = 2e-3 }
        let weights = otherConfig.model.stateDict()
        #expect {
            try otherConfig.resume(from: trainer.latestURL)
        } throws: { error in
            "\(error)".contains("optimizer.lr is 0.0005 in the checkpoint but 0.002 in this run")
        }
        #expect(identical(otherConfig.model.stateDict(), weights))
        #expect(otherConfig.progress == TrainingProgress())
        #expect(try Data(contentsOf: trainer.latestURL) == before)
        // A plain weights file is not a training checkpoint.
        let plain = run.folder.appendingPathComponent("plain.safetensors")
        try SafetensorsFile.write(trainer.model.stateDict(), to: plain)
        #expect(throws: TrainingError.notATrainingCheckpoint(file: plain.path)) { try otherConfig.resume(from: plain) }
    }

    @Test("a NaN/inf loss stops with the iteration named and keeps the last good checkpoint unchanged")
    func nonFiniteLossStops() throws {
        let run = try TinyRun(trainImages: 4)
        defer { run.remove() }
        // lr 1e-3 in epoch 1, 1e-3 · 1e33 = 1e30 from epoch 2 (milestone 1): the weights blow up there.
        let trainer = try run.trainer("nan", epochs: 3) { $0.schedule.gamma = 1e33 }
        var thrown: Error?
        do { _ = try trainer.run() } catch { thrown = error }
        let error = try #require(thrown as? TrainingError)
        guard case .nonFiniteLoss(_, let epoch, _, let last) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(epoch >= 1)
        #expect(last == trainer.latestURL.path)
        #expect("\(error)".contains("the last good checkpoint is kept unchanged"))
        let saved = try TrainingCheckpoint.read(trainer.latestURL)
        #expect(saved.progress.epoch == epoch)
        #expect(saved.model.values.allSatisfy { $0.dtype == .i64 || $0.floats().allSatisfy(\.isFinite) })
    }

    @Test("missing data root and missing pretrained file are one-line errors")
    func badPaths() throws {
        let run = try TinyRun(trainImages: 1)
        defer { run.remove() }
        var config = run.config
        config.data.root = "/nonexistent/swiftpose-data"
        #expect {
            _ = try Trainer(config: config, workDir: URL(fileURLWithPath: "/tmp/unused"))
        } throws: { "\($0)".hasPrefix("data root /nonexistent/swiftpose-data: the folder not found") }
        #expect {
            _ = try run.trainer("p") { $0.model.pretrained = "/nonexistent/resnet18.safetensors" }
        } throws: { "\($0)".contains("model.pretrained /nonexistent/resnet18.safetensors: file not found") }
    }

    @Test("pretrained backbone from torchvision-named safetensors: backbone loaded, fc skipped, head untouched")
    func pretrainedBackbone() throws {
        let run = try TinyRun(trainImages: 1)
        defer { run.remove() }
        let donor = PoseNet(name: try ModelName(parsing: "res18"))
        donor.initializeWeights(seed: 42)
        var file = donor.stateDict().filter { !$0.key.hasPrefix("deconv_layers.") && !$0.key.hasPrefix("final_layer") }
        file["fc.weight"] = TensorData(shape: [1000, 512], floats: [Float](repeating: 0, count: 512_000))
        file["fc.bias"] = TensorData(shape: [1000], floats: [Float](repeating: 0, count: 1000))
        file = file.filter { !$0.key.hasSuffix("num_batches_tracked") }   // as old torchvision files
        let url = run.folder.appendingPathComponent("resnet18.safetensors")
        try SafetensorsFile.write(file, to: url)
        let trainer = try run.trainer("p") { $0.model.pretrained = url.path }
        #expect(trainer.setupLines.first?.contains("skipped 2: fc.bias, fc.weight") == true)
        let loaded = trainer.model.stateDict(), fresh = PoseNet(name: try ModelName(parsing: "res18"))
        fresh.initializeWeights(seed: 0)
        let initial = fresh.stateDict()
        #expect(loaded["layer4.1.conv2.weight"] == file["layer4.1.conv2.weight"])
        #expect(loaded["final_layer.weight"] == initial["final_layer.weight"])
    }
}
