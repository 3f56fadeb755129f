import Foundation
import Testing
@testable import Keypoints

@Suite("MSRA heatmap codec")
struct MSRAHeatmapCodecTests {
    @Test("encode equals SimpleBaseline generate_target exactly (windows, weights and float32 values)")
    func encodeMatchesReference() throws {
        let cases = try KeypointFixtures.load(KeypointFixtures.Targets.self, "targets.json").cases
        #expect(cases.count >= 4)
        for (n, c) in cases.enumerated() {
            let codec = MSRAHeatmapCodec(inputSize: GridSize(width: c.input_size[0], height: c.input_size[1]),
                                         heatmapSize: GridSize(width: c.heatmap_size[0], height: c.heatmap_size[1]),
                                         sigma: c.sigma)
            let target = codec.encode(joints: c.joints.map { SIMD2($0[0], $0[1]) }, visible: c.vis)
            #expect(target.weights == c.weights.map { Float($0) }, "case \(n) weights")
            let expected = c.dense()
            #expect(target.heatmaps.count == expected.count)
            #expect(target.heatmaps == expected, "case \(n) heatmaps")
        }
    }

    @Test("decode equals SimpleBaseline get_final_preds on fixture heatmaps (1e-5)")
    func decodeMatchesReference() throws {
        let fixture = try KeypointFixtures.load(KeypointFixtures.Decode.self, "decode.json")
        let codec = MSRAHeatmapCodec()
        for person in fixture.persons {
            let stacked = try KeypointFixtures.image(person.png)
            #expect(stacked.width == 48 && stacked.height == 64 * 17)
            let heatmaps = (0..<(48 * 64 * 17)).map { Float(stacked.pixels[$0 * stacked.channels]) / Float(255) }
            let coords = codec.heatmapCoordinates(heatmaps)
            let preds = codec.decode(heatmaps, center: SIMD2(person.center[0], person.center[1]),
                                     scale: SIMD2(person.scale[0], person.scale[1]))
            for j in 0..<17 {
                #expect(coords[j].position == SIMD2(person.heatmap_coords[j][0], person.heatmap_coords[j][1]), "joint \(j)")
                // the reference returns float32; relative 1e-7 allows one float32 ulp from the last bits of the LU solve
                #expect(abs(preds[j].position.x - person.preds[j][0]) <= max(1e-5, 1.2e-7 * abs(person.preds[j][0])), "joint \(j) x")
                #expect(abs(preds[j].position.y - person.preds[j][1]) <= max(1e-5, 1.2e-7 * abs(person.preds[j][1])), "joint \(j) y")
                #expect(Double(preds[j].score) == person.maxvals[j], "joint \(j) maxval")
            }
        }
    }

    @Test("decoding an encoded target recovers the joints to within a quarter cell; DARK to within 0.1 cell")
    func roundTrip() {
        let codec = MSRAHeatmapCodec()
        let joints: [SIMD2<Double>] = [SIMD2(50.3, 70.9), SIMD2(120.0, 200.0), SIMD2(97.7, 33.1)]
        let target = codec.encode(joints: joints, visible: [1, 1, 1])
        let quarter = codec.heatmapCoordinates(target.heatmaps)
        let dark = codec.heatmapCoordinates(target.heatmaps, refinement: .dark(blurKernel: 11))
        for j in 0..<3 {
            let cell = joints[j] / 4
            let q = quarter[j].position, d = dark[j].position
            #expect(abs(q.x - cell.x) <= 0.75 && abs(q.y - cell.y) <= 0.75)
            // the target's own peak sits at the rounded cell, which DARK recovers
            let peak = SIMD2((cell.x + 0.5).rounded(.down), (cell.y + 0.5).rounded(.down))
            #expect(abs(d.x - peak.x) < 0.1 && abs(d.y - peak.y) < 0.1, "joint \(j): \(d) vs \(peak)")
        }
    }

    @Test("UDP encoding centres the Gaussian at the exact sub-cell position and decodes back")
    func udpRoundTrip() {
        let codec = UDPHeatmapCodec()
        let joints: [SIMD2<Double>] = [SIMD2(50.3, 70.9), SIMD2(120.0, 200.0)]
        let target = codec.encode(joints: joints, visible: [1, 1])
        #expect(target.weights == [1, 1])
        let decoded = codec.decodeToInput(target.heatmaps)
        for j in 0..<2 {
            // decodeToInput maps heatmap cells with input / (W - 1) (mmpose); encode used (W-1)/(w-1)
            let expected = joints[j] * SIMD2(47.0 / 191.0 * 192.0 / 47.0, 63.0 / 255.0 * 256.0 / 63.0)
            #expect(abs(decoded[j].position.x - expected.x) < 0.3 && abs(decoded[j].position.y - expected.y) < 0.3,
                    "joint \(j): \(decoded[j].position) vs \(expected)")
        }
    }

    @Test("joints outside the map or unlabelled get weight 0 and an empty map; joint weights multiply in")
    func weights() {
        var codec = MSRAHeatmapCodec()
        codec.jointWeights = [1.5, 1, 1]
        let target = codec.encode(joints: [SIMD2(10, 10), SIMD2(-40, 10), SIMD2(100, 100)], visible: [1, 1, 0])
        #expect(target.weights == [1.5, 0, 0])
        let plane = 48 * 64
        #expect(target.heatmaps[plane..<(3 * plane)].allSatisfy { $0 == 0 })
        #expect(target.heatmaps[0..<plane].max() == 1)
    }
}

@Suite("Heatmap codec weights")
struct HeatmapCodecWeightTests {
    @Test("a codec built from metainfo multiplies its joint weights into the target weights")
    func metainfoWeights() {
        let meta = KeypointMetainfo.coco
        let codec = MSRAHeatmapCodec(inputSize: GridSize(width: 192, height: 256), heatmapSize: GridSize(width: 48, height: 64),
                                     sigma: 2, metainfo: meta)
        let joints = Array(repeating: SIMD2(96.0, 128.0), count: 17)
        #expect(codec.encode(joints: joints, visible: Array(repeating: 1, count: 17)).weights == meta.jointWeights)
    }
}

@Suite("DARK and UDP")
struct DarkAndUDPTests {
    @Test("DARK refinement matches mmpose refine_keypoints_dark on fixture heatmaps (1e-3 cells)")
    func darkMatchesMMPose() throws {
        let fixture = try KeypointFixtures.load(KeypointFixtures.Decode.self, "decode.json")
        let codec = MSRAHeatmapCodec()
        for person in fixture.persons {
            let heatmaps = try KeypointFixtures.heatmaps(person.png)
            let dark = codec.heatmapCoordinates(heatmaps, refinement: .dark(blurKernel: 11))
            for j in 0..<17 {
                // mmpose blurs and inverts in float32 (OpenCV), we in double: agreement to ~1e-4 cells
                #expect(abs(dark[j].position.x - person.dark_coords[j][0]) < 1e-3, "joint \(j) x")
                #expect(abs(dark[j].position.y - person.dark_coords[j][1]) < 1e-3, "joint \(j) y")
            }
        }
    }

    @Test("UDP decode matches mmpose UDPHeatmap.decode on fixture heatmaps (1e-3 input pixels)")
    func udpDecodeMatchesMMPose() throws {
        let fixture = try KeypointFixtures.load(KeypointFixtures.Decode.self, "decode.json")
        let codec = UDPHeatmapCodec()
        for person in fixture.persons {
            let decoded = codec.decodeToInput(try KeypointFixtures.heatmaps(person.png))
            for j in 0..<17 {
                guard let x = person.udp_input_coords[j][0], let y = person.udp_input_coords[j][1] else {
                    // mmpose gives NaN for an all-zero map; we keep a finite position and score 0
                    #expect(decoded[j].position.x.isFinite && decoded[j].score == 0, "joint \(j)")
                    continue
                }
                #expect(abs(decoded[j].position.x - x) < 1e-3, "joint \(j) x")
                #expect(abs(decoded[j].position.y - y) < 1e-3, "joint \(j) y")
            }
        }
    }

    @Test("UDP encode matches mmpose UDPHeatmap.encode: weights, peak cell, peak value and mass per joint")
    func udpEncodeMatchesMMPose() throws {
        let cases = try KeypointFixtures.load(KeypointFixtures.UDPTargets.self, "udp_targets.json").cases
        let codec = UDPHeatmapCodec()
        for (n, c) in cases.enumerated() {
            let target = codec.encode(joints: c.joints.map { SIMD2($0[0], $0[1]) }, visible: c.vis)
            #expect(target.weights == c.weights.map { Float($0) }, "case \(n) weights")
            for j in 0..<17 {
                let map = Array(target.heatmaps[(j * 3072)..<((j + 1) * 3072)])
                let peak = map.max() ?? 0
                #expect(abs(Double(peak) - c.max_per_joint[j]) < 1e-6, "case \(n) joint \(j) peak")
                if peak > 0 { #expect(map.firstIndex(of: peak) == c.argmax_per_joint[j], "case \(n) joint \(j) argmax") }
                let mass = map.reduce(0.0) { $0 + Double($1) }
                #expect(abs(mass - c.sum_per_joint[j]) < 1e-4, "case \(n) joint \(j) mass")
            }
        }
    }
}
