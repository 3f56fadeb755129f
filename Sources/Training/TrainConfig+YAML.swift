// Reading a `TrainConfig` from YAML (or JSON, a subset) with Yams, `--set key.path=value` overrides,
// range validation, and writing the resolved config back as YAML or JSON (it goes into checkpoints).
//
//     var config = try TrainConfig.load(file: "configs/coco/res50_3_256x192.yaml",
//                                       overrides: ["optimizer.lr=1e-3", "schedule.milestones=[90, 120]"])
//     try config.yamlString().write(toFile: "work/config.yaml", atomically: true, encoding: .utf8)
import Foundation
import Tensors
import Yams

extension TrainConfig {
    /// Reads `path`, applies `overrides` (`key.path=value`, values parsed as YAML), and validates the result.
    /// Keys missing from the file keep their defaults (the mmpose res50 recipe).
    /// - Throws: `ConfigError` naming the file, line, key and what was expected.
    public static func load(file path: String, overrides: [String] = []) throws -> TrainConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable UTF-8 text" : "no such file"
            throw ConfigError.unreadable(file: path, reason: reason)
        }
        return try load(yaml: text, source: path, overrides: overrides)
    }

    /// Parses YAML (or JSON) `text`; `source` names it in errors.
    public static func load(yaml text: String, source: String = "<config>", overrides: [String] = []) throws -> TrainConfig {
        var config = TrainConfig()
        var origins: [String: String] = [:]
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.syntax(source: source, message: oneLine(error))
        }
        if let root {
            guard case .mapping(let mapping) = root else {
                throw ConfigError.syntax(source: source, message: "the top level must be a mapping of sections (model, data, …)")
            }
            try config.read(mapping, prefix: "", source: source, origins: &origins)
        }
        for override in overrides {
            try config.apply(override: override, origins: &origins)
        }
        try config.validate(origins: origins)
        return config
    }

    /// Applies one `key.path=value` override (value parsed as a YAML scalar or flow list) without validating
    /// ranges; `load` validates after all overrides.
    public mutating func apply(override argument: String) throws {
        var origins: [String: String] = [:]
        try apply(override: argument, origins: &origins)
    }

    private mutating func apply(override argument: String, origins: inout [String: String]) throws {
        guard let equals = argument.firstIndex(of: "=") else {
            throw ConfigError.badOverride(argument: argument, reason: "expected key.path=value")
        }
        let key = argument[..<equals].trimmingCharacters(in: .whitespaces)
        let valueText = String(argument[argument.index(after: equals)...])
        let source = "--set \(argument)"
        guard !key.isEmpty else { throw ConfigError.badOverride(argument: argument, reason: "expected key.path=value") }
        guard let field = Self.fieldsByPath[key] else {
            if Self.sections.contains(key) {
                throw ConfigError.badOverride(argument: argument, reason: "'\(key)' is a section; set one of its keys, e.g. \(key).\(Self.fields.first { $0.path.hasPrefix(key + ".") }!.path.dropFirst(key.count + 1))=…")
            }
            throw ConfigError.unknownKey(key: key, source: source, suggestion: nearestKey(to: key, among: Self.keyPaths))
        }
        let node: Node
        do {
            node = try Yams.compose(yaml: valueText) ?? Node("", .implicit, .plain)
        } catch let error as YamlError {
            throw ConfigError.badOverride(argument: argument, reason: "the value is not YAML: \(oneLine(error))")
        }
        try assign(field, node, source: source)
        origins[key] = source
    }

    /// Reads one mapping level: sections recurse, keys assign, anything else is an unknown key.
    private mutating func read(_ mapping: Node.Mapping, prefix: String, source: String,
                               origins: inout [String: String]) throws {
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            let at = location(source, keyNode)
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigError.syntax(source: at, message: "keys must be plain names")
            }
            let path = prefix + keyScalar.string
            guard seen.insert(path).inserted else { throw ConfigError.duplicateKey(key: path, source: at) }
            if prefix.isEmpty && Self.sections.contains(path) {
                if case .mapping(let inner) = value {
                    try read(inner, prefix: path + ".", source: source, origins: &origins)
                } else if value.null == nil {  // `eval:` with nothing under it keeps the defaults
                    throw ConfigError.typeMismatch(key: path, source: location(source, value),
                                                   expected: "a mapping of keys", found: describe(value))
                }
            } else if let field = Self.fieldsByPath[path] {
                try assign(field, value, source: location(source, value))
                origins[path] = location(source, value)
            } else {
                throw ConfigError.unknownKey(key: path, source: at,
                                             suggestion: nearestKey(to: path, among: Self.keyPaths + Self.sections))
            }
        }
    }

    private mutating func assign(_ field: ConfigField, _ node: Node, source: String) throws {
        guard field.assign(&self, node) else {
            throw ConfigError.typeMismatch(key: field.path, source: source, expected: field.typeName, found: describe(node))
        }
    }

    // MARK: - Validation

    /// Checks ranges and cross-key rules (e.g. `train.batch_size` divisible by `train.accumulation_steps`).
    public func validate() throws {
        try validate(origins: [:])
    }

    private func validate(origins: [String: String]) throws {
        func check(_ ok: Bool, _ key: String, _ message: String) throws {
            if !ok { throw ConfigError.invalidValue(key: key, source: origins[key] ?? "default", message: message) }
        }
        try check(Self.isValidModelName(model.name), "model.name",
                  "must be res18, res34, res50, res101 or res152, optionally with _2, _3 or _4 (got \(model.name.flowText))")
        try check(model.joints > 0, "model.joints", "must be positive (got \(model.joints))")
        try check(!data.root.isEmpty, "data.root", "must not be empty")
        try check(data.inputSize.width > 0 && data.inputSize.height > 0, "data.input_size", "must be positive (got \(data.inputSize))")
        try check(data.heatmapSize.width > 0 && data.heatmapSize.height > 0, "data.heatmap_size",
                  "must be positive (got \(data.heatmapSize))")
        try check(data.sigma > 0, "data.sigma", "must be positive (got \(data.sigma))")
        try check((0..<1).contains(data.scaleFactor), "data.scale_factor", "must lie in [0, 1) (got \(data.scaleFactor))")
        try check(data.rotationFactor >= 0, "data.rotation_factor", "must not be negative (got \(data.rotationFactor))")
        try check(data.shiftFactor >= 0, "data.shift_factor", "must not be negative (got \(data.shiftFactor))")
        for (key, p) in [("data.rotation_prob", data.rotationProb), ("data.shift_prob", data.shiftProb),
                         ("data.half_body_prob", data.halfBodyProb)] {
            try check((0...1).contains(p), key, "is a probability in [0, 1] (got \(p))")
        }
        try check(data.workers >= 0, "data.workers", "must not be negative (got \(data.workers))")
        try check(optimizer.lr > 0, "optimizer.lr", "must be positive (got \(optimizer.lr))")
        try check(optimizer.betas.count == 2 && optimizer.betas.allSatisfy { (0..<1).contains($0) }, "optimizer.betas",
                  "must be two numbers in [0, 1) (got \(optimizer.betas.flowText))")
        try check(optimizer.eps >= 0, "optimizer.eps", "must not be negative (got \(optimizer.eps))")
        try check(optimizer.weightDecay >= 0, "optimizer.weight_decay", "must not be negative (got \(optimizer.weightDecay))")
        try check(optimizer.momentum >= 0, "optimizer.momentum", "must not be negative (got \(optimizer.momentum))")
        try check(!optimizer.nesterov || optimizer.momentum > 0, "optimizer.nesterov", "needs optimizer.momentum > 0")
        try check(schedule.epochs >= 1, "schedule.epochs", "must be at least 1 (got \(schedule.epochs))")
        try check(schedule.warmupIters >= 0, "schedule.warmup_iters", "must not be negative (got \(schedule.warmupIters))")
        try check((0...1).contains(schedule.warmupFactor), "schedule.warmup_factor",
                  "must lie in [0, 1] (got \(schedule.warmupFactor))")
        try check(schedule.milestones.allSatisfy { $0 >= 0 } && schedule.milestones == schedule.milestones.sorted(),
                  "schedule.milestones", "must be increasing epochs ≥ 0 (got \(schedule.milestones.flowText))")
        try check(schedule.gamma > 0, "schedule.gamma", "must be positive (got \(schedule.gamma))")
        try check(train.batchSize >= 1, "train.batch_size", "must be at least 1 (got \(train.batchSize))")
        try check(train.accumulationSteps >= 1 && train.batchSize % train.accumulationSteps == 0, "train.accumulation_steps",
                  "must divide train.batch_size \(train.batchSize) (got \(train.accumulationSteps))")
        try check(train.logInterval >= 1, "train.log_interval", "must be at least 1 (got \(train.logInterval))")
        try check(train.checkpointInterval >= 1, "train.checkpoint_interval",
                  "must be at least 1 (got \(train.checkpointInterval))")
        try check(train.precision.isAvailable, "train.precision",
                  "bf16 needs a CPU with native bf16 convolutions (avx512_bf16); this one has none: use fp32")
        try check(eval.boxes == .gt || !eval.boxFile.isEmpty, "eval.box_file", "must name a file when eval.boxes is file")
        try check(eval.interval >= 1, "eval.interval", "must be at least 1 (got \(eval.interval))")
        try check(eval.batchSize >= 1, "eval.batch_size", "must be at least 1 (got \(eval.batchSize))")
    }

    /// DESIGN §3 model names: `res{18,34,50,101,152}` with an optional `_{2,3,4}` multi-scale suffix.
    /// (PoseModels' `ModelName(parsing:)` is the authority once it lands; this keeps the config target
    /// independent of it.)
    static func isValidModelName(_ name: String) -> Bool {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].hasPrefix("res"), ["18", "34", "50", "101", "152"].contains(parts[0].dropFirst(3)) else {
            return false
        }
        return parts.count == 1 || ["2", "3", "4"].contains(parts[1])
    }

    // MARK: - Writing

    /// The whole config as YAML, every key, in schema order; `load(yaml:)` reads it back to an equal value.
    public func yamlString() -> String {
        var out = ""
        for section in Self.sections {
            out += "\(section):\n"
            for field in Self.fields where field.path.hasPrefix(section + ".") {
                out += "  \(field.path.dropFirst(section.count + 1)): \(field.format(self))\n"
            }
        }
        return out
    }

    /// The whole config as JSON (an object per section, keys in schema order).
    public func jsonString() -> String {
        var sections: [String] = []
        for section in Self.sections {
            let entries = Self.fields.filter { $0.path.hasPrefix(section + ".") }.map {
                "    \(String($0.path.dropFirst(section.count + 1)).flowText): \($0.format(self))"
            }
            sections.append("  \(section.flowText): {\n" + entries.joined(separator: ",\n") + "\n  }")
        }
        return "{\n" + sections.joined(separator: ",\n") + "\n}\n"
    }

    /// Writes `yamlString()` (or `jsonString()` for a `.json` path) to a temporary file and renames it into place.
    public func write(to path: String) throws {
        let text = path.hasSuffix(".json") ? jsonString() : yamlString()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// `file:line:column` of a node (1-based line as editors show), or the bare source.
private func location(_ source: String, _ node: Node) -> String {
    guard let mark = node.mark else { return source }
    return "\(source):\(mark.line):\(mark.column)"
}

/// A node in a few words for a type error: a scalar's text, else its kind.
private func describe(_ node: Node) -> String {
    switch node {
    case .scalar(let scalar):
        if scalar.style == .plain && node.null != nil { return "null" }
        return "'\(scalar.string)'"
    case .sequence: return "a list"
    case .mapping: return "a mapping"
    }
}

/// Yams errors carry a multi-line snippet; keep `line:column: problem`.
private func oneLine(_ error: YamlError) -> String {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
        return "line \(mark.line), column \(mark.column): \(problem)"
    default:
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "invalid YAML"
    }
}
