// `swiftpose train`: trains a model as a YAML config says, with checkpoints, a JSONL log and exact resume.
import ArgumentParser
import Foundation
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a pose model from a YAML config (checkpoints, JSONL log, exact resume).",
        discussion: """
            Writes WORK_DIR/config.yaml (the resolved config), log.jsonl, latest.safetensors (every epoch), \
            best.safetensors (best val AP) and epoch_N.safetensors (every train.checkpoint_interval epochs). \
            A checkpoint holds the model state dict under PyTorch names (it loads as plain weights), the \
            optimizer state under optimizer.*, and the progress, scheduler, RNG seed and config in its metadata. \
            Ctrl-C (SIGINT) or SIGTERM finishes the current iteration, saves latest.safetensors and exits 0; \
            --resume continues with bit-identical results.

            Example:
              swiftpose synth --out demo-output/synth
              swiftpose train --config configs/quickstart.yaml --work-dir work_dirs/quickstart
              swiftpose train --config configs/quickstart.yaml --work-dir work_dirs/quickstart --resume
              swiftpose train --config configs/coco/res50_256x192.yaml --data data/coco --set train.batch_size=64
            """)

    @Option(help: "Training config (YAML; every key in configs/README.md).")
    var config: String

    @Option(help: "Dataset root in COCO layout (overrides data.root).")
    var data: String?

    @Option(name: .customLong("work-dir"), help: "Output folder (default: work_dirs/<config name>).")
    var workDir: String?

    @Flag(help: "Resume from CKPT, or from WORK_DIR/latest.safetensors when CKPT is omitted.")
    var resume = false

    @Argument(help: ArgumentHelp("Checkpoint to resume from (with --resume).", valueName: "CKPT"))
    var checkpoint: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        if checkpoint != nil && !resume {
            throw ValidationError("a checkpoint argument needs --resume (swiftpose train --config C --resume CKPT)")
        }
    }

    var resolvedWorkDir: String {
        workDir ?? "work_dirs/" + URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
    }

    func run() throws {
        var overrides = self.overrides
        if let data { overrides.append("data.root=\(data)") }
        let settings = try TrainConfig.load(file: config, overrides: overrides)
        let work = URL(fileURLWithPath: resolvedWorkDir)
        let trainer = try Trainer(config: settings, workDir: work)
        trainer.setupLines.forEach { print($0) }
        if resume {
            let url = checkpoint.map { URL(fileURLWithPath: $0) } ?? trainer.latestURL
            try trainer.resume(from: url)
            let p = trainer.progress
            print("resumed from \(url.path): epoch \(p.epoch + 1), \(p.batchInEpoch) of \(trainer.loader.batchCount) "
                  + "micro-batches done, iteration \(p.iteration)")
        }
        print("training \(settings.model.name) at \(settings.data.inputSize.width)x\(settings.data.inputSize.height) "
              + "(w x h) for \(settings.schedule.epochs) epochs; work dir \(work.path)")

        let stop = StopFlag()
        let sources = installStopHandlers(stop)
        trainer.shouldStop = { stop.requested != nil }
        let start = Date()
        let outcome = try trainer.run()
        sources.forEach { $0.cancel() }
        switch outcome {
        case .finished:
            let best = trainer.progress.bestAP.map { String(format: "; best val AP %.4f after epoch %d", $0, trainer.progress.bestEpoch ?? 0) } ?? ""
            print(String(format: "finished in %.1f s%@; checkpoints in %@", Date().timeIntervalSince(start), best, work.path))
        case .interrupted(let url):
            let name = stop.requested == SIGTERM ? "SIGTERM" : "SIGINT"
            var command = "swiftpose train --config \(config) --work-dir \(resolvedWorkDir)"
            for o in self.overrides { command += " --set \(o)" }
            if let data { command += " --data \(data)" }
            print("\(name): stopped after iteration \(trainer.progress.iteration) (epoch \(trainer.progress.epoch + 1)); "
                  + "saved \(url.path)\nresume with: \(command) --resume")
        }
    }

    /// SIGINT/SIGTERM set `flag` (the loop stops after the current iteration); a second one exits at once (130).
    private func installStopHandlers(_ flag: StopFlag) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { (number: Int32) -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if flag.requested != nil {
                    FileHandle.standardError.write(Data("\nswiftpose: second signal: exiting without saving\n".utf8))
                    Foundation.exit(130)
                }
                flag.set(number)
                FileHandle.standardError.write(Data("\nswiftpose: stopping after this iteration (saving latest.safetensors)…\n".utf8))
            }
            source.resume()
            return source
        }
    }
}
