import Testing
@testable import Keypoints

@Suite("COCO metainfo")
struct CocoMetainfoTests {
    @Test("flip index is an involution that swaps every left joint with its right partner")
    func flipIndexIsInvolution() {
        let meta = KeypointMetainfo.coco
        let flip = meta.flipIndex
        #expect(flip.count == 17)
        for j in 0..<17 { #expect(flip[flip[j]] == j) }
        for (a, b) in meta.flipPairs {
            #expect(meta.jointNames[a].hasPrefix("left_"))
            #expect(meta.jointNames[b] == meta.jointNames[a].replacingOccurrences(of: "left_", with: "right_"))
        }
        #expect(flip[0] == 0)
    }

    @Test("sigmas and skeleton match pycocotools and the COCO category")
    func sigmasAndSkeleton() {
        let meta = KeypointMetainfo.coco
        #expect(meta.sigmas.count == 17)
        #expect(abs(meta.sigmas[0] - 0.026) < 1e-12)
        #expect(abs(meta.sigmas[11] - 0.107) < 1e-12)
        #expect(meta.skeleton.count == 19)
        #expect(meta.skeleton.allSatisfy { $0.0 < 17 && $0.1 < 17 })
    }
}
