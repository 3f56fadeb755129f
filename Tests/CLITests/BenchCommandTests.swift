import Foundation
import Testing

/// `bench` prints (never asserts): what is pinned is that every engine runs and says which one it was.
@Suite("bench command")
struct BenchCommandTests {
    @Test("bench --engine runs each inference path and names it in its lines; an unknown engine is an error")
    func engines() throws {
        for engine in ["plain", "fused", "fused-bf16"] {
            let run = try SwiftPoseRun(["bench", "--model", "res18", "--batch", "2", "--input-size", "64x64",
                                        "--runs", "1", "--warmup", "0", "--case", "inference", "--engine", engine])
            if engine == "fused-bf16" && run.stderr.contains("avx512_bf16") {
                print("skipped bench --engine fused-bf16: \(run.stderr)")
                continue
            }
            #expect(run.status == 0, "\(engine): \(run.stderr)")
            let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("inference res18") }
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains(" \(engine) median ") }, "\(run.stdout)")
        }
        let bad = try SwiftPoseRun(["bench", "--model", "res18", "--engine", "fp16"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("fused-bf16"), "\(bad.stderr)")
    }

    @Test("bench --baseline times both models and prints the median per-run ratio and the ratio of their fastest runs")
    func baseline() throws {
        let run = try SwiftPoseRun(["bench", "--model", "res18_3", "--baseline", "res18", "--batch", "2",
                                    "--input-size", "64x64", "--runs", "3", "--warmup", "0", "--case", "training"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let minima = ["res18_3", "res18"].compactMap { model -> Double? in
            guard let line = lines.first(where: { $0.hasPrefix("training fwd+bwd \(model) ") }),
                  let range = line.range(of: #"min [0-9.]+ ms"#, options: .regularExpression) else { return nil }
            return Double(line[range].split(separator: " ")[1])
        }
        #expect(minima.count == 2, "\(run.stdout)")
        let ratioLine = lines.first { $0.contains("time res18_3 / res18: median ratio") }
        let printed = ratioLine.flatMap { line in
            line.range(of: #"ratio of minima [0-9.]+"#, options: .regularExpression).map { line[$0] }
        }.flatMap { Double($0.split(separator: " ")[3]) }
        #expect(printed != nil, "\(run.stdout)")
        if let printed, minima.count == 2 {
            // Both sides rounded for printing: ms to 0.1, the ratio to 0.001.
            #expect(abs(printed - minima[0] / minima[1]) <= 0.002 + 0.2 / minima[1], "\(run.stdout)")
        }
    }

    @Test("bench --recompute: the same training case holds fewer tensor bytes at once")
    func recompute() throws {
        func tensorsInUse(_ extra: [String]) throws -> Double? {
            let run = try SwiftPoseRun(["bench", "--model", "res50", "--batch", "4", "--input-size", "96x128", "--runs", "1",
                                        "--warmup", "0", "--case", "training"] + extra)
            #expect(run.status == 0, "\(extra): \(run.stderr)")
            guard let range = run.stdout.range(of: #"tensors: at most [0-9]+ MiB"#, options: .regularExpression) else {
                Issue.record("no tensor memory line: \(run.stdout)")
                return nil
            }
            return Double(run.stdout[range].split(separator: " ")[3])
        }
        let kept = try #require(try tensorsInUse([])), rebuilt = try #require(try tensorsInUse(["--recompute"]))
        // res50's activations at this size are ~90 MiB next to ~200 MiB of weights and gradients; recomputation
        // drops about a third of the activations.
        #expect(rebuilt <= kept - 15, "in use at once: \(rebuilt) MiB with --recompute, \(kept) MiB without")
    }
}
