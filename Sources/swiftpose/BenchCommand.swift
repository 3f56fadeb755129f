// `swiftpose bench`: inference and training throughput of a model on this machine (prints, never asserts).
import ArgumentParser
import Foundation
import Keypoints
import NN
import PoseModels
import Tensors

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure inference (batch 1 and N) and training (forward + backward) speed of a model.",
        discussion: """
            Prints a header (CPU, threads, oneDNN version) and one line per case: median and p90 time over \
            the timed runs after warm-up, images/s, convolution GFLOP/s, and the peak resident memory. \
            Inputs are random; weights are the SimpleBaseline initialisation. Threads: OMP_NUM_THREADS. \
            --engine chooses the inference cases' forward pass (training always runs the plain ops).

            Example:
              swiftpose bench --model res50 --batch 32 --runs 5 --case inference --engine fused-bf16
            """)

    enum Case: String, ExpressibleByArgument, CaseIterable { case all, inference, training }

    @OptionGroup var model: ModelArguments

    @OptionGroup var engine: EngineArguments

    @Option(help: "Batch size of the batched cases.")
    var batch: Int = 32

    @Option(help: "Network input size, WxH (multiples of 32).")
    var inputSize: String = "192x256"

    @Option(help: "Timed runs per case.")
    var runs: Int = 5

    @Option(help: "Untimed warm-up runs per case.")
    var warmup: Int = 2

    @Option(name: .customLong("case"), help: "Which cases: all, inference or training.")
    var which: Case = .all

    func validate() throws {
        guard batch > 0, runs > 0, warmup >= 0 else { throw ValidationError("--batch and --runs must be positive") }
        guard parseInputSize(inputSize) != nil else {
            throw ValidationError("--input-size \(inputSize): expected WxH with multiples of 32, e.g. 192x256")
        }
    }

    var height: Int { parseInputSize(inputSize)!.height }
    var width: Int { parseInputSize(inputSize)!.width }

    func run() throws {
        let net = try model.makeModel()
        net.initializeWeights(seed: 0)
        print(benchmarkHeader())
        if which != .training {
            let forward = net.inferenceForward(engine: engine.engine)
            for n in [1, batch] {
                let x = randomInput(n)
                let r = measure { _ = forward(x) }
                print(r.line(name: "inference \(try model.parsedName())", batch: n, height: height, width: width,
                             engine: engine.engine.rawValue))
            }
        }
        if which != .inference {
            net.train()
            net.requiresGrad(true)
            let x = randomInput(batch)
            let target = Tensor(zeros: [batch, model.joints, height / 4, width / 4])
            let r = measure {
                net.zeroGrad()
                backward(mseLoss(net(x), target))
            }
            print(r.line(name: "training fwd+bwd \(try model.parsedName())", batch: batch, height: height, width: width,
                         engine: "plain"))
        }
        print(String(format: "peak RSS %.0f MiB", peakResidentMiB()))
    }

    func randomInput(_ n: Int) -> Tensor {
        var state: UInt64 = 1
        let values = (0..<(n * 3 * height * width)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        return Tensor(shape: [n, 3, height, width], values: values)
    }

    /// Times `body` `runs` times after `warmup` runs; returns per-run seconds and FLOPs per run.
    func measure(_ body: () -> Void) -> BenchResult {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        FlopCounter.reset()
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return BenchResult(seconds: times.sorted(), flopsPerRun: FlopCounter.count / Double(runs))
    }
}

struct BenchResult {
    let seconds: [Double]
    let flopsPerRun: Double

    var median: Double { seconds[seconds.count / 2] }
    var p90: Double { seconds[min(seconds.count - 1, Int((Double(seconds.count) * 0.9).rounded(.up)) - 1)] }

    /// One result line; `engine` is `plain`, `fused` or `fused-bf16` (fp32 unless it says bf16).
    func line(name: String, batch: Int, height: Int, width: Int, engine: String) -> String {
        String(format: "%@ N=%d %dx%d %@ median %.1f ms p90 %.1f ms (n=%d) %.2f img/s %.0f GFLOP/s",
               name, batch, height, width, engine, median * 1e3, p90 * 1e3, seconds.count,
               Double(batch) / median, flopsPerRun / median / 1e9)
    }
}

/// CPU model, thread count and oneDNN version.
func benchmarkHeader() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    let threads = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"]
        ?? String(ProcessInfo.processInfo.activeProcessorCount)
    return "# \(cpu), \(threads) threads, oneDNN \(dnnlVersion()), \(Date())"
}

/// Peak resident set size of this process in MiB (getrusage; Linux reports KiB).
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
