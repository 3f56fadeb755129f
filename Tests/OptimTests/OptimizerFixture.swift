import Foundation
import Testing

/// `Fixtures/optimizers.json` from `Tools/fixtures/make_optim_fixtures.py`.
struct OptimizerFixture: Decodable {
    struct Options: Decodable {
        var momentum: Double?
        var dampening: Double?
        var weight_decay: Double?
        var nesterov: Bool?
        var betas: [Double]?
        var eps: Double?
    }
    struct Step: Decodable {
        var lr: Double
        var grads: [String: [Float]]
        var params: [String: [Float]]
    }
    struct Case: Decodable {
        var name: String
        var optimizer: String
        var options: Options
        var shapes: [String: [Int]]
        var initial: [String: [Float]]
        var steps: [Step]
        var state: [String: [String: [Float]]]
    }
    var order: [String]
    var cases: [Case]

    static func load() throws -> OptimizerFixture {
        try JSONDecoder().decode(OptimizerFixture.self, from: fixtureData("optimizers.json"))
    }
}

/// `Fixtures/schedules.json` from `Tools/fixtures/make_optim_fixtures.py`.
struct ScheduleFixture: Decodable {
    struct MMEngineCase: Decodable {
        var name: String
        var base_lr: Double
        var warmup: Int
        var start_factor: Double
        var milestones: [Int]
        var gamma: Double
        var epochs: Int
        var iters_per_epoch: Int
        var exact: Bool
        var iterations: [Int]
        var epoch_of: [Int]
        var lr: [Double]
    }
    struct SimpleBaselineCase: Decodable {
        var base_lr: Double
        var milestones: [Int]
        var epochs: Int
        var lr: [Double]
    }
    var mmengine: [MMEngineCase]
    var simple_baseline: [SimpleBaselineCase]

    static func load() throws -> ScheduleFixture {
        try JSONDecoder().decode(ScheduleFixture.self, from: fixtureData("schedules.json"))
    }
}

func fixtureData(_ name: String) throws -> Data {
    let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures missing from the test bundle")
    return try Data(contentsOf: root.appendingPathComponent(name))
}

/// Largest |a − b| / max(|b|, floor) over two arrays (the floor keeps values near 0 from dominating).
func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
    precondition(a.count == b.count, "maxRelativeError: \(a.count) vs \(b.count) values")
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        worst = max(worst, abs(x - y) / max(abs(y), floor))
    }
    return worst
}
