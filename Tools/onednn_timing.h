// What the oneDNN probes in Tools/ share: one CPU engine and stream, and the best-of-5 timing.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <string>

static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
static dnnl::stream strm(eng);

/// The time (ms) of one run of `run`, waiting for the stream.
template <class F> static double onceMs(F run) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    strm.wait();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// The fastest of 5 runs of `run` (ms) after one warm-up run.
template <class F> static double bestMs(F run) {
    onceMs(run);
    double best = 1e30;
    for (int r = 0; r < 5; r++) best = std::min(best, onceMs(run));
    return best;
}

/// Best-of-5 times (ms) of one convolution's three training passes on these descriptors, and oneDNN's choice of
/// implementation for each.
struct ConvPasses {
    double forward, backwardData, backwardWeights;
    std::string forwardImpl, backwardDataImpl, backwardWeightsImpl;
    double sum() const { return forward + backwardData + backwardWeights; }
};

static ConvPasses convPasses(const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                             const dnnl::memory::desc& dst, dnnl::memory::dims strides, dnnl::memory::dims padLow,
                             dnnl::memory::dims padHigh, dnnl::algorithm alg = dnnl::algorithm::convolution_direct) {
    using namespace dnnl;
    auto make = [](const memory::desc& d) { return memory(d, eng); };
    auto fpd = convolution_forward::primitive_desc(
        convolution_forward::desc(prop_kind::forward_training, alg, src, weights, dst, strides, padLow, padHigh), eng);
    auto s = make(fpd.src_desc()), w = make(fpd.weights_desc()), d = make(fpd.dst_desc());
    convolution_forward f(fpd);
    ConvPasses out;
    out.forward = bestMs([&] { f.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, d}}); });
    auto bpd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(alg, src, weights, dst, strides, padLow, padHigh), eng, fpd);
    auto ds = make(bpd.diff_src_desc()), w2 = make(bpd.weights_desc()), dd = make(bpd.diff_dst_desc());
    convolution_backward_data b(bpd);
    out.backwardData = bestMs([&] {
        b.execute(strm, {{DNNL_ARG_DIFF_SRC, ds}, {DNNL_ARG_WEIGHTS, w2}, {DNNL_ARG_DIFF_DST, dd}});
    });
    auto wpd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(alg, src, weights, dst, strides, padLow, padHigh), eng, fpd);
    auto s3 = make(wpd.src_desc()), dw = make(wpd.diff_weights_desc()), dd3 = make(wpd.diff_dst_desc());
    convolution_backward_weights bw(wpd);
    out.backwardWeights = bestMs([&] {
        bw.execute(strm, {{DNNL_ARG_SRC, s3}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_DST, dd3}});
    });
    out.forwardImpl = fpd.impl_info_str();
    out.backwardDataImpl = bpd.impl_info_str();
    out.backwardWeightsImpl = wpd.impl_info_str();
    return out;
}
