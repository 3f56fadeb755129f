// The synthetic dataset's random numbers: SplitMix64, so a seed gives the same bytes on every platform
// and Swift version (the standard library's generators are neither seedable nor specified).
import Foundation

/// A seeded SplitMix64 generator with the few draws the synthetic renderer needs.
struct SynthRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// A generator for item `index` of stream `stream` under `seed`, independent of the other items,
    /// so images can be rendered in any order (or in parallel) and still match.
    init(seed: UInt64, stream: UInt64, index: UInt64) {
        var mixer = SynthRandom(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next() ^ (index &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// Uniform integer in `range` (modulo bias is negligible for the small ranges used here).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// Normal with mean `mean` and standard deviation `sd` (Box–Muller), clipped to ±`clip` sd.
    mutating func normal(mean: Double = 0, sd: Double, clip: Double = 3) -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        let z = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        return mean + sd * min(max(z, -clip), clip)
    }

    /// Degrees to radians, drawn uniformly in `range` (degrees).
    mutating func angle(_ range: ClosedRange<Double>) -> Double {
        uniform(range) * Double.pi / 180
    }
}
