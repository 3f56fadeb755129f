// The optimizer and learning-rate schedule a config describes, for the trainer.
import Optim
import Tensors

extension TrainConfig {
    /// Images per forward/backward pass: `train.batch_size / train.accumulation_steps`.
    public var microBatchSize: Int { train.batchSize / train.accumulationSteps }

    /// The schedule of `schedule.*` with `optimizer.lr` as base: warmup by iteration, steps by epoch.
    public var lrSchedule: WarmupMultiStepLR {
        WarmupMultiStepLR(baseLR: optimizer.lr, warmupIterations: schedule.warmupIters,
                          warmupStartFactor: schedule.warmupFactor, milestones: schedule.milestones,
                          gamma: schedule.gamma, decayEndEpoch: schedule.epochs)
    }

    /// `optimizer.type` over `parameters` (names: their state-dict keys, used in checkpoints).
    public func makeOptimizer(parameters: [Tensor], names: [String]? = nil) throws -> any Optimizer {
        switch optimizer.type {
        case .adam:
            return try Adam(parameters: parameters, names: names, betas: (optimizer.betas[0], optimizer.betas[1]),
                            eps: optimizer.eps, weightDecay: optimizer.weightDecay)
        case .sgd:
            return try SGD(parameters: parameters, names: names, momentum: optimizer.momentum,
                           weightDecay: optimizer.weightDecay, nesterov: optimizer.nesterov)
        }
    }
}
