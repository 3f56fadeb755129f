// Learning-rate schedules as plain values: `lr(iteration:epoch:)` from 0-based counters, tested without
// a model. Reproduces mmengine's chained schedulers (`LinearParamScheduler` by iteration for warmup,
// `MultiStepParamScheduler` by epoch), which multiply the optimizer's current lr step by step:
//
//   construction:      lr = base · start_factor
//   after iteration s: lr *= 1 + (end_factor − start_factor) / (T · start_factor + (s − 1)(end_factor − start_factor))
//                      for s = 1 … T, T = warmup_iters − 1 (mmengine `total_iters = end − begin − 1`)
//   after epoch e:     lr *= γ^(count of e+1 in milestones)
//
// so iteration i of epoch e runs at base · start · Π_{s=1}^{min(i,T)} f(s) · γ^#{m ≤ e}. The chained
// product is evaluated in Double in the same order as mmengine (bit-identical to it when warmup ends
// before the first milestone, as in every shipped config). PyTorch's `MultiStepLR` with SimpleBaseline's
// `lr_scheduler.step()` per epoch gives the same epoch rule (no warmup).
import Foundation

/// A learning rate per (global iteration, epoch), both 0-based.
public protocol LRSchedule: Sendable {
    /// The learning rate that iteration `iteration` (counted from the start of training) of epoch
    /// `epoch` runs with.
    func lr(iteration: Int, epoch: Int) -> Double
}

/// Linear warmup by iteration (mmengine `LinearLR(by_epoch=False, begin=0, end=warmupIterations)`),
/// then step decay by epoch (mmengine `MultiStepLR(by_epoch=True)`, torch `MultiStepLR`).
public struct WarmupMultiStepLR: LRSchedule, Equatable {
    /// The optimizer's configured learning rate.
    public var baseLR: Double
    /// mmengine `LinearLR.end`: 0 disables warmup.
    public var warmupIterations: Int
    /// mmengine `LinearLR.start_factor` (mmpose: 0.001).
    public var warmupStartFactor: Double
    /// mmengine `LinearLR.end_factor` (default 1).
    public var warmupEndFactor: Double
    /// Epochs (0-based, counted as mmengine/torch `last_step`) at whose start the lr is multiplied by `gamma`.
    public var milestones: [Int]
    public var gamma: Double
    /// mmengine `MultiStepLR.end`: epochs ≥ this no longer apply milestones (default: never stop).
    public var decayEndEpoch: Int

    public init(baseLR: Double, warmupIterations: Int = 0, warmupStartFactor: Double = 0.001,
                warmupEndFactor: Double = 1, milestones: [Int], gamma: Double = 0.1, decayEndEpoch: Int = Int.max) {
        precondition(warmupIterations >= 0, "WarmupMultiStepLR: warmupIterations \(warmupIterations) < 0")
        precondition((0...1).contains(warmupStartFactor) && (0...1).contains(warmupEndFactor),
                     "WarmupMultiStepLR: warmup factors must lie in [0, 1] (mmengine), got \(warmupStartFactor), \(warmupEndFactor)")
        self.baseLR = baseLR
        self.warmupIterations = warmupIterations
        self.warmupStartFactor = warmupStartFactor
        self.warmupEndFactor = warmupEndFactor
        self.milestones = milestones
        self.gamma = gamma
        self.decayEndEpoch = decayEndEpoch
    }

    /// mmpose 1.x `td-hm_res50_8xb64-210e_coco-256x192.py`: Adam 5e-4, LinearLR 500 iterations from
    /// 0.001, MultiStepLR [170, 200] ×0.1 until epoch 210.
    public static func mmpose(baseLR: Double = 5e-4, milestones: [Int] = [170, 200], epochs: Int = 210) -> Self {
        Self(baseLR: baseLR, warmupIterations: 500, warmupStartFactor: 0.001, milestones: milestones, gamma: 0.1,
             decayEndEpoch: epochs)
    }

    /// SimpleBaseline/HRNet: no warmup, MultiStepLR by epoch ([90, 120] for 140 epochs, or [170, 200] for 210).
    public static func simpleBaseline(baseLR: Double = 1e-3, milestones: [Int] = [90, 120]) -> Self {
        Self(baseLR: baseLR, warmupIterations: 0, milestones: milestones, gamma: 0.1)
    }

    public func lr(iteration: Int, epoch: Int) -> Double {
        var lr = baseLR
        if warmupIterations > 0 {
            lr *= warmupStartFactor
            let total = Double(warmupIterations - 1)
            let delta = warmupEndFactor - warmupStartFactor
            let last = min(max(iteration, 0), warmupIterations - 1)
            if last >= 1 {
                for s in 1...last {
                    lr *= 1 + delta / (total * warmupStartFactor + Double(s - 1) * delta)
                }
            }
        }
        // mmengine keeps milestones in a Counter: a repeated milestone applies gamma ** count at once.
        var counts: [Int: Int] = [:]
        for m in milestones { counts[m, default: 0] += 1 }
        for m in counts.keys.sorted() where m <= epoch && m < decayEndEpoch {
            lr *= counts[m]! == 1 ? gamma : pow(gamma, Double(counts[m]!))
        }
        return lr
    }
}

/// A schedule from a closure, for experiments: `ClosureLR { iteration, epoch in 1e-3 }`.
public struct ClosureLR: LRSchedule {
    public let body: @Sendable (Int, Int) -> Double
    public init(_ body: @escaping @Sendable (_ iteration: Int, _ epoch: Int) -> Double) { self.body = body }
    public func lr(iteration: Int, epoch: Int) -> Double { body(iteration, epoch) }
}
