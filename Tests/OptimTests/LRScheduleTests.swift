import Optim
import Testing

@Suite("LR schedules match mmengine and torch")
struct LRScheduleTests {
    @Test("Warmup + MultiStep lr per iteration equals mmengine's chained LinearLR + MultiStepLR")
    func warmupMultiStepMatchesMMEngine() throws {
        let fixture = try ScheduleFixture.load()
        #expect(fixture.mmengine.count == 3)
        for c in fixture.mmengine {
            let schedule = WarmupMultiStepLR(baseLR: c.base_lr, warmupIterations: c.warmup,
                                             warmupStartFactor: c.start_factor, milestones: c.milestones,
                                             gamma: c.gamma, decayEndEpoch: c.epochs)
            for (k, iteration) in c.iterations.enumerated() {
                let lr = schedule.lr(iteration: iteration, epoch: c.epoch_of[k])
                if c.exact {
                    // Same Double operations in the same order as mmengine: identical bits.
                    #expect(lr == c.lr[k], "\(c.name) iteration \(iteration): \(lr) vs \(c.lr[k])")
                } else {
                    // Warmup crossing a milestone: mmengine interleaves the factors in time, we multiply
                    // the warmup product first; both are exact products, rounded differently.
                    #expect(abs(lr - c.lr[k]) <= 1e-14 * c.lr[k], "\(c.name) iteration \(iteration): \(lr) vs \(c.lr[k])")
                }
            }
        }
    }

    @Test("The mmpose preset is the res50 recipe: 5e-7 at iteration 0, 5e-4 after warmup, ×0.1 at 170 and 200")
    func mmposePresetIsTheRecipe() {
        let s = WarmupMultiStepLR.mmpose()
        #expect(s.lr(iteration: 0, epoch: 0) == 5e-4 * 0.001)
        // The chained product of 499 warmup factors lands within a few ulps of 1 (mmengine's too).
        #expect(abs(s.lr(iteration: 499, epoch: 1) - 5e-4) < 5e-4 * 1e-14)
        #expect(s.lr(iteration: 5000, epoch: 20) == s.lr(iteration: 499, epoch: 1))
        #expect(abs(s.lr(iteration: 50_000, epoch: 170) - 5e-5) < 5e-5 * 1e-14)
        #expect(abs(s.lr(iteration: 60_000, epoch: 205) - 5e-6) < 5e-6 * 1e-14)
        // Halfway through warmup the factor is linear: 0.001 + 0.999 · 250/499.
        let half = s.lr(iteration: 250, epoch: 0) / 5e-4
        #expect(abs(half - (0.001 + 0.999 * 250 / 499)) < 1e-12)
    }

    @Test("SimpleBaseline schedule per epoch equals torch MultiStepLR stepped once per epoch")
    func simpleBaselineMatchesTorch() throws {
        let fixture = try ScheduleFixture.load()
        for c in fixture.simple_baseline {
            let schedule = WarmupMultiStepLR.simpleBaseline(baseLR: c.base_lr, milestones: c.milestones)
            for epoch in 0..<c.epochs {
                #expect(schedule.lr(iteration: epoch * 1000, epoch: epoch) == c.lr[epoch],
                        "milestones \(c.milestones) epoch \(epoch)")
            }
        }
    }

    @Test("A closure is a schedule")
    func closureSchedule() {
        let s: any LRSchedule = ClosureLR { iteration, epoch in 1e-3 / Double(1 + epoch) + Double(iteration) * 0 }
        #expect(s.lr(iteration: 10, epoch: 1) == 5e-4)
    }
}
