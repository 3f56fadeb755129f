// What a run prints and logs: a live progress line on a TTY (rewritten in place), plain lines every
// `train.log_interval` iterations otherwise, and one JSONL record per interval and per validation.
import Foundation

/// A JSON value of a log record.
enum LogValue {
    case int(Int)
    case double(Double)
    case string(String)

    var json: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? String(v) : "null"
        case .string(let v):
            let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
    }
}

/// Appends one JSON object per line to `log.jsonl` (kept across resumes).
final class JSONLog {
    private let handle: FileHandle

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Writes `{"type": …, …}` with the keys in a fixed order (type first, then sorted).
    func write(_ record: [String: LogValue]) {
        var keys = record.keys.sorted()
        if let i = keys.firstIndex(of: "type") { keys.insert(keys.remove(at: i), at: 0) }
        let body = keys.map { "\"\($0)\":\(record[$0]!.json)" }.joined(separator: ",")
        handle.write(Data(("{" + body + "}\n").utf8))
    }
}

/// Progress of the training loop: speed, ETA, the live line and the periodic records.
struct ProgressReporter {
    unowned let trainer: Trainer
    let start = Date()
    let startIteration: Int
    var windowStart = Date()
    var windowLoss = 0.0
    var windowSteps = 0
    var windowImages = 0
    var lastLive = Date.distantPast
    var lineOpen = false

    init(trainer: Trainer) {
        self.trainer = trainer
        startIteration = trainer.progress.iteration
    }

    private var totalIterations: Int { trainer.stepsPerEpoch * trainer.config.schedule.epochs }

    mutating func step(loss: Double, lr: Double, images: Int, log: JSONLog) {
        windowLoss += loss
        windowSteps += 1
        windowImages += images
        let p = trainer.progress
        let done = p.iteration - startIteration
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(max(0, totalIterations - p.iteration)) : 0
        let rate = Double(windowImages) / max(Date().timeIntervalSince(windowStart), 1e-9)
        let stepInEpoch = (p.batchInEpoch + trainer.config.train.accumulationSteps - 1) / trainer.config.train.accumulationSteps
        let text = String(format: "epoch %d/%d iter %d/%d (%d total) loss %.6f lr %.3g %.1f img/s ETA %@",
                          p.epoch + 1, trainer.config.schedule.epochs, stepInEpoch, trainer.stepsPerEpoch, p.iteration,
                          windowLoss / Double(windowSteps), lr, rate, Self.duration(eta))
        if trainer.liveProgress, Date().timeIntervalSince(lastLive) > 0.2 || windowSteps == 1 {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + text).utf8))
            lastLive = Date()
            lineOpen = true
        }
        guard windowSteps >= trainer.config.train.logInterval || stepInEpoch == trainer.stepsPerEpoch else { return }
        log.write(["type": .string("train"), "epoch": .int(p.epoch + 1), "iter": .int(p.iteration),
                   "loss": .double(windowLoss / Double(windowSteps)), "lr": .double(lr), "img_per_s": .double(rate)])
        if !trainer.liveProgress { trainer.output(text) }
        windowLoss = 0
        windowSteps = 0
        windowImages = 0
        windowStart = Date()
    }

    /// Ends the live line (before other output).
    mutating func finishLine() {
        if lineOpen { FileHandle.standardOutput.write(Data("\n".utf8)) }
        lineOpen = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// A stop request shared with a signal handler: set once, read after every iteration.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?

    public init() {}

    /// Records the request (the first signal number wins).
    public func set(_ signal: Int32) {
        lock.lock(); defer { lock.unlock() }
        if self.signal == nil { self.signal = signal }
    }

    /// The signal that asked to stop, or nil.
    public var requested: Int32? {
        lock.lock(); defer { lock.unlock() }
        return signal
    }
}
