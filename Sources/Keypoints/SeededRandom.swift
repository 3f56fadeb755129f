// A small seedable generator: xoshiro256** seeded through SplitMix64, with the draws the augmentation
// recipes need (uniform [0, 1), standard normal by Box-Muller, truncated normal by rejection).

/// SplitMix64 (Steele, Lea, Flood 2014): used to seed and to mix (seed, epoch, index) into one stream key.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman, Vigna 2018): the per-sample generator of the data pipeline.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    /// A spare Box-Muller normal.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        s = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    /// The stream of sample `index` in `epoch` of a run seeded with `seed`: independent of loader threads.
    public init(seed: UInt64, epoch: Int, index: Int) {
        var mix = SplitMix64(seed: seed)
        var key = mix.next()
        mix = SplitMix64(seed: key ^ UInt64(bitPattern: Int64(epoch)))
        key = mix.next()
        mix = SplitMix64(seed: key ^ UInt64(bitPattern: Int64(index)))
        self.init(seed: mix.next())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits (`np.random.rand()` / `random.random()`).
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal (`np.random.randn()`), Box-Muller.
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * _log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * _sin(theta)
        return r * _cos(theta)
    }

    /// Standard normal truncated to [low, high] (`scipy.stats.truncnorm.rvs(low, high)`), by rejection.
    public mutating func truncatedNormal(low: Double = -1, high: Double = 1) -> Double {
        while true {
            let v = normal()
            if v >= low && v <= high { return v }
        }
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
