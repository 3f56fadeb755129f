// `swiftpose synth`: writes the built-in synthetic COCO-layout dataset.
import ArgumentParser
import Foundation
import Keypoints

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the built-in synthetic person-keypoint dataset in COCO layout.",
        discussion: """
            Renders stick-figure people (1–4 per image, occluded by each other and by rectangles, on \
            textured backgrounds) with COCO keypoint annotations. The same seed gives byte-identical files. \
            Writes DIR/annotations/person_keypoints_{train,val}2017.json and DIR/{train,val}2017/*.jpg; \
            area is the visible body pixel count, bbox the tight box of the visible body.

            Example:
              swiftpose synth --out data/synth --train 2000 --val 200 --seed 0
            """)

    @Option(help: "Output folder (created; must be empty or absent unless --force).")
    var out: String

    @Option(help: "Number of training images.")
    var train: Int = 2000

    @Option(help: "Number of validation images.")
    var val: Int = 200

    @Option(help: "Random seed (same seed, same bytes).")
    var seed: UInt64 = 0

    @Flag(help: "Replace a non-empty output folder.")
    var force = false

    func validate() throws {
        guard train >= 0, val >= 0 else { throw ValidationError("--train and --val must be ≥ 0") }
        guard train + val > 0 else { throw ValidationError("nothing to write: --train and --val are both 0") }
    }

    func run() throws {
        let start = Date()
        let url = URL(fileURLWithPath: out)
        let summary = try writeSynthDataset(
            to: url, options: SynthOptions(trainCount: train, valCount: val, seed: seed), force: force,
            progress: { print($0) })
        let people = summary.people.values.reduce(0, +)
        print(String(format: "wrote %@ (%d people) in %.1f s", url.path, people, Date().timeIntervalSince(start)))
    }
}
