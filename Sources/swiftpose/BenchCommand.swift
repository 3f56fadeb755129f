// `swiftpose bench`: inference and training throughput of a model on this machine (prints, never asserts).
import ArgumentParser
import Foundation
import Keypoints
import NN
import Optim
import PoseModels
import Tensors

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure inference (batch 1 and N) and training (forward + backward) speed of a model.",
        discussion: """
            Prints a header (CPU, threads, oneDNN version) and one line per case: median, p90 and minimum time over \
            the timed runs after warm-up, images/s, convolution GFLOP/s, and the peak resident memory. \
            Inputs are random; weights are the SimpleBaseline initialisation. Threads: OMP_NUM_THREADS. \
            --engine chooses the inference cases' forward pass (training always runs the plain ops); \
            --precision the training convolutions' arithmetic (bf16: autocast, fp32 master weights); --adam \
            adds an Adam step to each training run (as `Tools/bench_pytorch.py --adam`). In fp32 the backbone's \
            stages keep their activations in oneDNN's blocked layout and run their 3×3 convolutions as Winograd \
            where the CPU allows (AVX-512); --layout channelsLast and --no-winograd turn those off for comparison.

            With --baseline, a second model is timed alternately with --model, run by run, and each case \
            also prints the median of the per-run time ratios (on a shared machine whose speed drifts, this \
            compares two models more reliably than two separate sessions) and the ratio of the two models' \
            fastest runs (the least disturbed ones, where other guests contend for the cores in bursts).

            Example:
              swiftpose bench --model res50 --batch 32 --runs 5 --case inference --engine fused-bf16
              swiftpose bench --model res50_3 --baseline res50 --case training --runs 5
              swiftpose bench --model res50 --case training --precision bf16 --adam
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

    @Option(help: "Training convolutions: fp32, or bf16 (autocast: bf16 operands, fp32 accumulation and weights).")
    var precision: Precision = .fp32

    @Flag(help: "Include an Adam step (lr 1e-3) in each training run.")
    var adam = false

    @Option(help: "Layout of the backbone stages' fp32 activations: blocked (nChw16c, the default where AVX-512) or channelsLast.")
    var layout: BackboneLayout?

    @Flag(inversion: .prefixedNo, help: "Run fp32 3×3 convolutions on blocked activations as Winograd F(4×4, 3×3).")
    var winograd = true

    @Flag(help: "Recompute batch-norm, ReLU and residual-add outputs in backward instead of keeping them (train.recompute; less memory, a little more time).")
    var recompute = false

    @Option(help: "A second model name (same options) timed alternately with --model, for a time ratio.")
    var baseline: String?

    func validate() throws {
        guard batch > 0, runs > 0, warmup >= 0 else { throw ValidationError("--batch and --runs must be positive") }
        if layout == .blocked && !Layout.blocked.isAvailable {
            throw ValidationError("--layout blocked: oneDNN has no AVX-512 kernels on this CPU; use channelsLast")
        }
        if !precision.isAvailable {
            throw ValidationError("--precision bf16: this CPU has no native bf16 convolutions (avx512_bf16); use fp32")
        }
        guard parseInputSize(inputSize) != nil else {
            throw ValidationError("--input-size \(inputSize): expected WxH with multiples of 32, e.g. 192x256")
        }
    }

    var height: Int { parseInputSize(inputSize)!.height }
    var width: Int { parseInputSize(inputSize)!.width }

    func run() throws {
        var names = [try model.parsedName()]
        if let baseline { names.append(try ModelName(parsing: baseline)) }
        let nets = names.map { PoseNet(name: $0, options: model.options) }
        for net in nets {
            net.initializeWeights(seed: 0)
            if let layout { net.backbone.activationLayout = layout.layout }
        }
        print(benchmarkHeader())
        if which != .training {
            let forwards = nets.map { $0.inferenceForward(engine: engine.engine) }
            for n in [1, batch] {
                let x = randomInput(n)
                let results = measure(forwards.map { forward in { _ = withWinograd(winograd) { forward(x) } } })
                report(results, names: names, case: "inference", batch: n, engine: engine.engine.rawValue)
            }
        }
        if which != .inference {
            for net in nets {
                net.train()
                net.requiresGrad(true)
            }
            let x = randomInput(batch)
            let target = Tensor(zeros: [batch, model.joints, height / 4, width / 4])
            let optimizers = try nets.map { try Adam(parameters: $0.parameters()) }
            let results = measure(zip(nets, optimizers).map { net, optimizer in {
                net.zeroGrad()
                backward(withRecomputation(recompute) {
                    withWinograd(winograd) { withAutocast(precision) { mseLoss(net(x), target) } }
                })
                if adam { optimizer.step(lr: 1e-3) }
            } })
            report(results, names: names, case: "training fwd+bwd" + (adam ? "+adam" : ""), batch: batch,
                   engine: precision == .fp32 ? "plain" : "plain-\(precision)")
        }
        let memory = tensorMemoryStatistics()
        print(String(format: "peak RSS %.0f MiB (tensors: at most %.0f MiB in use at once, %.0f MiB held by the pool)",
                     peakResidentMiB(), Double(memory.peakInUse) / 1048576, Double(memory.held) / 1048576))
    }

    /// One line per model, then (with a baseline) the median over runs of time(model) / time(baseline), and the
    /// ratio of the two models' fastest runs (on a shared machine the least disturbed ones).
    func report(_ results: [BenchResult], names: [ModelName], case name: String, batch: Int, engine: String) {
        for (result, modelName) in zip(results, names) {
            print(result.line(name: "\(name) \(modelName)", batch: batch, height: height, width: width, engine: engine))
        }
        guard results.count == 2 else { return }
        let ratios = zip(results[0].runs, results[1].runs).map { $0 / $1 }
        print(String(format: "%@ N=%d time %@ / %@: median ratio %.3f, ratio of minima %.3f (runs: %@)", name, batch,
                     names[0].description, names[1].description, ratios.sorted()[ratios.count / 2],
                     results[0].fastest / results[1].fastest,
                     ratios.map { String(format: "%.3f", $0) }.joined(separator: " ")))
    }

    func randomInput(_ n: Int) -> Tensor {
        var state: UInt64 = 1
        let values = (0..<(n * 3 * height * width)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        return Tensor(shape: [n, 3, height, width], values: values)
    }

    /// Times each body `runs` times after `warmup` runs each, alternating between the bodies run by run (so
    /// that a machine whose speed drifts slows them alike); returns per-body seconds and FLOPs per run.
    func measure(_ bodies: [() -> Void]) -> [BenchResult] {
        for _ in 0..<warmup {
            for body in bodies { body() }
        }
        var times = [[Double]](repeating: [], count: bodies.count)
        var flops = [Double](repeating: 0, count: bodies.count)
        for _ in 0..<runs {
            for (k, body) in bodies.enumerated() {
                FlopCounter.reset()
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times[k].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                flops[k] += FlopCounter.count
            }
        }
        return zip(times, flops).map { BenchResult(runs: $0, flopsPerRun: $1 / Double(runs)) }
    }
}

struct BenchResult {
    /// Seconds per run, in run order.
    let runs: [Double]
    let flopsPerRun: Double

    var seconds: [Double] { runs.sorted() }

    var median: Double { seconds[seconds.count / 2] }
    /// The fastest run (on a shared machine, the least disturbed one).
    var fastest: Double { runs.min()! }
    var p90: Double { seconds[min(seconds.count - 1, Int((Double(seconds.count) * 0.9).rounded(.up)) - 1)] }

    /// One result line; `engine` is `plain`, `fused` or `fused-bf16` (fp32 unless it says bf16).
    func line(name: String, batch: Int, height: Int, width: Int, engine: String) -> String {
        String(format: "%@ N=%d %dx%d %@ median %.1f ms p90 %.1f ms min %.1f ms (n=%d) %.2f img/s %.0f GFLOP/s",
               name, batch, height, width, engine, median * 1e3, p90 * 1e3, fastest * 1e3, runs.count,
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

/// `--layout`: the backbone stages' activation layout.
enum BackboneLayout: String, ExpressibleByArgument, CaseIterable {
    case blocked, channelsLast

    var layout: Layout { self == .blocked ? .blocked : .channelsLast }
}
