// `swiftpose train` end to end: help, bad input (one line, exit 1, nothing written), SIGINT (saves latest,
// exit 0, resume hint), NaN loss.
import Foundation
import Testing

/// A tiny synthetic dataset and config (res18 at 64×64) in a temporary folder.
private struct TinyTraining {
    let folder: URL
    let config: URL

    init(epochs: Int = 2, trainImages: Int = 8) throws {
        folder = try Repository.temporaryDirectory()
        let synth = try SwiftPoseRun(["synth", "--out", folder.appendingPathComponent("data").path,
                                      "--train", String(trainImages), "--val", "2", "--seed", "5"])
        try #require(synth.status == 0, "synth failed: \(synth.stderr)")
        config = folder.appendingPathComponent("tiny.yaml")
        try """
            model: {name: res18}
            data: {root: \(folder.appendingPathComponent("data").path), input_size: [64, 64], heatmap_size: [16, 16], workers: 1}
            schedule: {epochs: \(epochs), warmup_iters: 2, milestones: [10]}
            train: {batch_size: 2, accumulation_steps: 1, log_interval: 1, checkpoint_interval: 10}
            eval: {interval: 10, batch_size: 4}
            """.write(to: config, atomically: true, encoding: .utf8)
    }

    var work: String { folder.appendingPathComponent("work").path }
    var latest: String { work + "/latest.safetensors" }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Starts `swiftpose` and returns once `ready` holds for its stdout so far; then the caller signals it.
private final class RunningSwiftPose: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = try Repository.binary()
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [unowned self] h in
            let d = h.availableData
            lock.lock(); out.append(d); lock.unlock()
        }
        errPipe.fileHandleForReading.readabilityHandler = { [unowned self] h in
            let d = h.availableData
            lock.lock(); err.append(d); lock.unlock()
        }
        try process.run()
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }

    /// Waits (up to `timeout` s) until stdout contains `text`.
    func wait(for text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func finish() -> Int32 {
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)   // let the pipes drain
        return process.terminationStatus
    }
}

@Suite(.serialized)
struct TrainCommandTests {
    @Test("train --help shows the usage and an example")
    func help() throws {
        let run = try SwiftPoseRun(["train", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: swiftpose train --config <config>"))
        #expect(run.stdout.contains("swiftpose train --config configs/quickstart.yaml"))
    }

    @Test("an unknown config key is one error line naming the nearest key; nothing is written")
    func unknownKey() throws {
        let tiny = try TinyTraining()
        defer { tiny.remove() }
        let run = try SwiftPoseRun(["train", "--config", tiny.config.path, "--work-dir", tiny.work, "--set", "optimizer.lrr=1"])
        #expect(run.status == 1)
        #expect(run.stderr == "swiftpose: error: --set 'optimizer.lrr=1': unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)\n"
            || run.stderr.hasPrefix("swiftpose: error: ") && run.stderr.contains("optimizer.lr'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tiny.work))
    }

    @Test("a missing data root is one error line; nothing is written")
    func missingDataRoot() throws {
        let tiny = try TinyTraining()
        defer { tiny.remove() }
        let run = try SwiftPoseRun(["train", "--config", tiny.config.path, "--work-dir", tiny.work, "--data", "/nonexistent/coco"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("swiftpose: error: data root /nonexistent/coco: the folder not found"))
        #expect(run.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: tiny.work))
    }

    @Test("SIGINT finishes the iteration, saves latest, exits 0 with a resume hint; resume of another model is refused")
    func sigintSavesAndResumes() throws {
        let tiny = try TinyTraining(epochs: 50)
        defer { tiny.remove() }
        let running = try RunningSwiftPose(["train", "--config", tiny.config.path, "--work-dir", tiny.work])
        #expect(running.wait(for: "iter 2/", timeout: 120), "no progress: \(running.stdout) \(running.stderr)")
        running.process.interrupt()
        let status = running.finish()
        #expect(status == 0, "\(running.stderr)")
        #expect(running.stdout.contains("SIGINT: stopped after iteration"))
        #expect(running.stdout.contains("resume with: swiftpose train --config \(tiny.config.path) --work-dir \(tiny.work) --resume"))
        #expect(running.stderr.contains("stopping after this iteration"))
        let saved = try Data(contentsOf: URL(fileURLWithPath: tiny.latest))

        let other = try SwiftPoseRun(["train", "--config", tiny.config.path, "--work-dir", tiny.work, "--resume",
                                      "--set", "model.name=res34"])
        #expect(other.status == 1)
        #expect(other.stderr.hasPrefix("swiftpose: error: \(tiny.latest): cannot resume: it holds res18"), "\(other.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: tiny.latest)) == saved)
    }

    @Test("a loss that turns NaN/inf stops with exit 1 and names the iteration")
    func nonFiniteLoss() throws {
        let tiny = try TinyTraining(epochs: 3, trainImages: 4)
        defer { tiny.remove() }
        let run = try SwiftPoseRun(["train", "--config", tiny.config.path, "--work-dir", tiny.work,
                                    "--set", "schedule.milestones=[1]", "--set", "schedule.gamma=1e33"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("swiftpose: error: loss is "), "\(run.stderr)")
        #expect(run.stderr.contains("training stopped"))
        #expect(run.stderr.contains("the last good checkpoint is kept unchanged: \(tiny.latest)"))
    }
}
