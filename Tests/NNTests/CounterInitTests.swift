import Foundation
import NN
import Testing

/// counter_values.json, written by Tools/fixtures/make_io_fixtures.py.
private struct CounterFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var shape: [Int]
        var uniform_bits: [String]
        var float_bits: [UInt32]?
        var int64: [Int64]?
    }
    var cases: [Case]
}

@Suite("Counter-based fixture values")
struct CounterInitTests {
    private let fixture: CounterFixture

    init() throws {
        fixture = try NNFixtures.json("counter_values.json")
    }

    @Test("counterUniform matches the Python generator bit for bit")
    func uniformMatchesPython() {
        for c in fixture.cases {
            let bits = counterUniform(name: c.name, count: c.uniform_bits.count).map { String($0.bitPattern, radix: 16) }
            let expected = c.uniform_bits.map { String(UInt64($0, radix: 16)!, radix: 16) }
            #expect(bits == expected, "\(c.name)")
        }
    }

    @Test("counterTensorValues matches the Python generator bit for bit, for every value rule")
    func valuesMatchPython() {
        #expect(fixture.cases.count >= 12)
        for c in fixture.cases {
            let values = counterTensorValues(name: c.name, shape: c.shape)
            if let bits = c.float_bits {
                #expect(values.map(\.bitPattern) == bits, "\(c.name) \(c.shape)")
            } else {
                #expect(values == (c.int64 ?? []).map(Float.init), "\(c.name) \(c.shape)")
            }
        }
    }

    @Test("counterStateDict stores num_batches_tracked as int64 zeros and everything else as float32")
    func stateDictDTypes() {
        let dict = counterStateDict(shapes: ["bn1.num_batches_tracked": [], "bn1.running_var": [3], "conv1.weight": [2, 1, 3, 3]])
        #expect(dict["bn1.num_batches_tracked"] == TensorData(shape: [], int64s: [0]))
        #expect(dict["bn1.running_var"]?.dtype == .f32)
        #expect(dict["conv1.weight"]?.floats() == counterTensorValues(name: "conv1.weight", shape: [2, 1, 3, 3]))
    }

    @Test("values stay in the ranges of their rule")
    func valueRanges() {
        let runningVar = counterTensorValues(name: "x.running_var", shape: [1000])
        #expect(runningVar.allSatisfy { $0 >= 0.75 && $0 < 1.25 })
        let conv = counterTensorValues(name: "conv.weight", shape: [8, 3, 3, 3])
        let bound = Float((3.0 / 27.0).squareRoot())
        #expect(conv.allSatisfy { abs($0) <= bound })
        let input = counterTensorValues(name: "input", shape: [1000])
        #expect(input.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(abs(input.reduce(0, +) / 1000) < 0.1)
    }

    @Test("counterSampleIndices picks the indices recorded in the model fixtures")
    func sampleIndicesMatchModelFixture() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: NNFixtures.url("model_res18_3.json")))
        let grads = try #require(((object as? [String: Any])?["train"] as? [String: Any])?["grads"] as? [String: Any])
        #expect(grads.count > 60)
        for (key, value) in grads {
            let entry = try #require(value as? [String: Any])
            let shape = try #require(entry["shape"] as? [Int])
            let indices = try #require(entry["indices"] as? [Int])
            #expect(counterSampleIndices(key: key, count: shape.reduce(1, *)) == indices, "\(key)")
        }
    }
}
