import Foundation
import Optim
import Testing
@testable import Training
import Yams

/// The repository root (this file is Tests/TrainingTests/TrainConfigTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func fixturePath(_ name: String) throws -> String {
    let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return root.appendingPathComponent(name).path
}

/// Every `.yaml` under `configs/`, relative to the repository root.
func shippedConfigs() throws -> [String] {
    let configs = repositoryRoot.appendingPathComponent("configs")
    let enumerator = try #require(FileManager.default.enumerator(atPath: configs.path))
    return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }.sorted().map { "configs/" + $0 }
}

/// Catches the `ConfigError` `body` throws.
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite("TrainConfig")
struct TrainConfigTests {
    @Test("Every shipped config loads, and the paper's configs carry the mmpose recipe")
    func shippedConfigsLoad() throws {
        let files = try shippedConfigs()
        #expect(files.count == 12)   // 10 coco, quickstart, overfit
        for file in files {
            let config = try TrainConfig.load(file: repositoryRoot.appendingPathComponent(file).path)
            // Keys a file leaves out would be silent defaults: the shipped files spell out every key.
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            let root = try #require(try Yams.compose(yaml: text)?.mapping)
            var present: [String] = []
            for (section, keys) in root {
                for (key, _) in keys.mapping ?? [:] { present.append("\(section.string!).\(key.string!)") }
            }
            #expect(present == TrainConfig.keyPaths, "\(file) does not spell out every key in schema order")
            if file.hasPrefix("configs/coco/") && !file.hasSuffix("_hrnet.yaml") {
                #expect(config.lrSchedule == WarmupMultiStepLR.mmpose(), "\(file)")
                #expect(config.train.batchSize == 512 && config.microBatchSize == 64, "\(file)")
                #expect(config.optimizer.type == .adam && config.optimizer.lr == 5e-4, "\(file)")
                #expect(config.data.inputSize == ConfigSize(width: 192, height: 256), "\(file)")
                #expect(config.data.heatmapSize == ConfigSize(width: 48, height: 64) && config.data.sigma == 2, "\(file)")
                #expect(config.eval.flipTest, "\(file)")
            }
            if file.hasSuffix("_hrnet.yaml") {
                #expect(config.lrSchedule == WarmupMultiStepLR(baseLR: 1e-3, warmupIterations: 0, milestones: [90, 120],
                                                               gamma: 0.1, decayEndEpoch: 140), "\(file)")
                #expect(config.schedule.epochs == 140 && config.train.batchSize == 128, "\(file)")
            }
        }
        let names = try files.filter { $0.hasPrefix("configs/coco/") }.map {
            try TrainConfig.load(file: repositoryRoot.appendingPathComponent($0).path).model.name
        }
        #expect(Set(names) == ["res50", "res50_2", "res50_3", "res50_4", "res101"])
    }

    @Test("configs/README.md documents every key of TrainConfig")
    func readmeDocumentsEveryKey() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("configs/README.md"), encoding: .utf8)
        for key in TrainConfig.keyPaths {
            #expect(readme.contains("`\(key)`"), "configs/README.md does not document \(key)")
        }
    }

    @Test("The key table covers every stored property of TrainConfig")
    func schemaCoversEveryProperty() {
        func snake(_ name: String) -> String {
            name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
        }
        var properties: [String] = []
        for section in Mirror(reflecting: TrainConfig()).children {
            for key in Mirror(reflecting: section.value).children {
                properties.append(snake(section.label!) + "." + snake(key.label!))
            }
        }
        #expect(properties == TrainConfig.keyPaths)
    }

    @Test("An unknown key fails naming the file, line, key and the nearest valid key")
    func unknownKeyNamesNearestKey() throws {
        let path = try fixturePath("unknown_key.yaml")
        let error = configError { _ = try TrainConfig.load(file: path) }
        #expect(error == .unknownKey(key: "optimizer.lrr", source: "\(path):6:3", suggestion: "optimizer.lr"))
        #expect(error?.description == "\(path):6:3: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)")

        // A key in the wrong section and a misspelled section.
        #expect(configError { _ = try TrainConfig.load(yaml: "lr: 0.1\n", source: "c.yaml") }
            == .unknownKey(key: "lr", source: "c.yaml:1:1", suggestion: "optimizer.lr"))
        #expect(configError { _ = try TrainConfig.load(yaml: "modle:\n  name: res18\n", source: "c.yaml") }
            == .unknownKey(key: "modle", source: "c.yaml:1:1", suggestion: "model"))
        #expect(configError { _ = try TrainConfig.load(yaml: "data:\n  warmup_iter: 5\n", source: "c.yaml") }
            == .unknownKey(key: "data.warmup_iter", source: "c.yaml:2:3", suggestion: "schedule.warmup_iters"))
        // Nothing close: no suggestion.
        #expect(configError { _ = try TrainConfig.load(yaml: "train:\n  xyzzy_plugh_frobnicate: 1\n", source: "c.yaml") }
            == .unknownKey(key: "train.xyzzy_plugh_frobnicate", source: "c.yaml:2:3", suggestion: nil))
    }

    @Test("A value of the wrong type fails naming the key and the expected type")
    func wrongTypeNamesExpectedType() throws {
        let path = try fixturePath("wrong_type.yaml")
        let error = configError { _ = try TrainConfig.load(file: path) }
        #expect(error == .typeMismatch(key: "optimizer.lr", source: "\(path):3:7", expected: "a number", found: "'fast'"))
        #expect(error?.description == "\(path):3:7: optimizer.lr must be a number, got 'fast'")

        let cases: [(String, String, String)] = [
            ("model:\n  width: wide\n", "model.width", "one of paper, fixed"),
            ("optimizer:\n  lr: '5e-4'\n", "optimizer.lr", "a number"),
            ("schedule:\n  epochs: 1.5\n", "schedule.epochs", "an integer"),
            ("schedule:\n  milestones: 170\n", "schedule.milestones", "a list of integers"),
            ("data:\n  input_size: [192, 256, 3]\n", "data.input_size", "a list [w, h] of two integers"),
            ("eval:\n  flip_test: maybe\n", "eval.flip_test", "true or false"),
            ("model:\n  name: null\n", "model.name", "a string"),
            ("model: res50\n", "model", "a mapping of keys"),
        ]
        for (yaml, key, expected) in cases {
            let error = configError { _ = try TrainConfig.load(yaml: yaml, source: "c.yaml") }
            guard case .typeMismatch(let k, _, let e, _) = error else {
                Issue.record("\(yaml): expected a type error, got \(String(describing: error))")
                continue
            }
            #expect(k == key && e == expected)
        }
    }

    @Test("Values in range rules and duplicate keys are rejected naming the key")
    func invalidValuesAreRejected() {
        #expect(configError { _ = try TrainConfig.load(yaml: "train:\n  accumulation_steps: 3\n", source: "c.yaml") }
            == .invalidValue(key: "train.accumulation_steps", source: "c.yaml:2:23",
                             message: "must divide train.batch_size 512 (got 3)"))
        #expect(configError { _ = try TrainConfig.load(yaml: "model:\n  name: res51\n", source: "c.yaml") }?
            .description.hasPrefix("c.yaml:2:9: model.name must be res18, res34") == true)
        #expect(configError { _ = try TrainConfig.load(yaml: "schedule:\n  milestones: [200, 170]\n") } != nil)
        #expect(configError { _ = try TrainConfig.load(yaml: "optimizer:\n  betas: [0.9]\n") } != nil)
        #expect(configError { _ = try TrainConfig.load(yaml: "optimizer:\n  lr: 1\n  lr: 2\n", source: "c.yaml") }
            == .duplicateKey(key: "optimizer.lr", source: "c.yaml:3:3"))
        #expect(configError { _ = try TrainConfig.load(yaml: "- a\n- b\n", source: "c.yaml") } != nil)
        #expect(configError { _ = try TrainConfig.load(yaml: "model: [unclosed\n", source: "c.yaml") }?
            .description.hasPrefix("c.yaml: line") == true)
        #expect(configError { _ = try TrainConfig.load(file: "/nonexistent/config.yaml") }
            == .unreadable(file: "/nonexistent/config.yaml", reason: "no such file"))
    }

    @Test("--set overrides parse YAML values and are validated like the file")
    func overridesApplyAndValidate() throws {
        let config = try TrainConfig.load(yaml: "", overrides: [
            "optimizer.lr=1e-3", "schedule.milestones=[90, 120]", "model.pretrained=null", "model.name=res101_3",
            "data.input_size=[96,128]", "eval.flip_test=false", "data.root=/data/my coco", "train.batch_size=128",
            "train.accumulation_steps=4",
        ])
        #expect(config.optimizer.lr == 1e-3 && config.schedule.milestones == [90, 120])
        #expect(config.model.pretrained == nil && config.model.name == "res101_3")
        #expect(config.data.inputSize == ConfigSize(width: 96, height: 128) && !config.eval.flipTest)
        #expect(config.data.root == "/data/my coco" && config.microBatchSize == 32)

        #expect(configError { _ = try TrainConfig.load(yaml: "", overrides: ["optimizer.lr"]) }
            == .badOverride(argument: "optimizer.lr", reason: "expected key.path=value"))
        #expect(configError { _ = try TrainConfig.load(yaml: "", overrides: ["optimizer.lrr=1"]) }
            == .unknownKey(key: "optimizer.lrr", source: "--set optimizer.lrr=1", suggestion: "optimizer.lr"))
        let typeError = configError { _ = try TrainConfig.load(yaml: "", overrides: ["optimizer.lr=abc"]) }
        #expect(typeError == .typeMismatch(key: "optimizer.lr", source: "--set optimizer.lr=abc", expected: "a number", found: "'abc'"))
        #expect(typeError?.description == "--set optimizer.lr=abc: optimizer.lr must be a number, got 'abc'")
        #expect(configError { _ = try TrainConfig.load(yaml: "", overrides: ["schedule.milestones=[90, x"]) }?
            .description.hasPrefix("--set 'schedule.milestones=[90, x': the value is not YAML") == true)
        #expect(configError { _ = try TrainConfig.load(yaml: "", overrides: ["model=res50"]) }?
            .description == "--set 'model=res50': 'model' is a section; set one of its keys, e.g. model.name=…")
        #expect(configError { _ = try TrainConfig.load(yaml: "", overrides: ["train.accumulation_steps=5"]) }
            == .invalidValue(key: "train.accumulation_steps", source: "--set train.accumulation_steps=5",
                             message: "must divide train.batch_size 512 (got 5)"))
    }

    @Test("A resolved config written as YAML or JSON loads back equal")
    func resolvedConfigRoundTrips() throws {
        var config = try TrainConfig.load(file: repositoryRoot.appendingPathComponent("configs/quickstart.yaml").path)
        // Values that stress the writer: quotes, backslash, unicode, tiny and integral doubles, null.
        config.data.root = "dir with \"quotes\" \\ and ünïcode: yes"
        config.optimizer.eps = 1e-8
        config.optimizer.lr = 3.0
        config.optimizer.betas = [0.8, 0.99]
        config.schedule.gamma = 1.0 / 3.0
        config.model.pretrained = "pretrained/resnet18.safetensors"
        config.eval.boxes = .file
        config.data.colorOrder = .bgr
        config.train.winograd = false
        config.train.recompute = true
        let yaml = config.yamlString()
        #expect(try TrainConfig.load(yaml: yaml) == config)
        #expect(yaml.contains("  eps: 1.0e-08\n"))
        let json = config.jsonString()
        #expect(try TrainConfig.load(yaml: json) == config)
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
        config.model.pretrained = nil
        #expect(try TrainConfig.load(yaml: config.yamlString()) == config)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["resolved.yaml", "resolved.json"] {
            let path = dir.appendingPathComponent(name).path
            try config.write(to: path)
            #expect(try TrainConfig.load(file: path) == config)
        }
        // Codable (for checkpoint metadata written by other code) agrees too.
        let coded = try JSONDecoder().decode(TrainConfig.self, from: JSONEncoder().encode(config))
        #expect(coded == config)
    }

    @Test("Every key can be changed from its default through YAML")
    func everyKeyIsReadable() throws {
        // Each of the quickstart's values, set into the res50_3 config one key at a time.
        let a = try TrainConfig.load(file: repositoryRoot.appendingPathComponent("configs/coco/res50_3_256x192.yaml").path)
        let b = try TrainConfig.load(file: repositoryRoot.appendingPathComponent("configs/quickstart.yaml").path)
        var mixed = a
        for field in TrainConfig.fields {
            let override = "\(field.path)=\(field.formattedValue(in: b))"
            let single = try TrainConfig.load(yaml: a.yamlString(), overrides: [override])
            #expect(field.formattedValue(in: single) == field.formattedValue(in: b), "\(field.path)")
            #expect(field.formattedValue(in: a) != field.formattedValue(in: b) || ["model.width", "model.upsample", "model.joints",
                    "data.sigma", "data.flip", "data.rotation_prob", "data.shift_factor", "data.shift_prob", "data.color_order",
                    "data.workers", "optimizer.type", "optimizer.betas", "optimizer.eps", "optimizer.weight_decay",
                    "optimizer.momentum", "optimizer.nesterov", "schedule.warmup_factor", "schedule.gamma", "train.loss",
                    "train.seed", "train.precision", "train.winograd", "train.recompute", "eval.flip_test", "eval.box_file", "eval.batch_size"].contains(field.path), "\(field.path)")
            mixed = try TrainConfig.load(yaml: mixed.yamlString(), overrides: [override])
        }
        #expect(mixed == b)
    }

    @Test("The config builds its optimizer and schedule")
    func configBuildsOptimizerAndSchedule() throws {
        let config = try TrainConfig.load(yaml: "optimizer:\n  type: sgd\n  momentum: 0.8\n  nesterov: true\n")
        let optimizer = try config.makeOptimizer(parameters: [], names: [])
        #expect((optimizer as? SGD)?.options == SGD.Options(momentum: 0.8, nesterov: true))
        #expect(config.lrSchedule.lr(iteration: 0, epoch: 0) == 5e-4 * 0.001)
    }

    @Test("Edit distance and nearest key")
    func editDistanceBasics() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(nearestKey(to: "optimizer.weightdecay", among: TrainConfig.keyPaths) == "optimizer.weight_decay")
        #expect(nearestKey(to: "eval.flip_tset", among: TrainConfig.keyPaths) == "eval.flip_test")
        #expect(nearestKey(to: "eval.flip", among: TrainConfig.keyPaths) == "data.flip")
    }
}
