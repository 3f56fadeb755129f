// How close SwiftPose's convolutions run to what oneDNN reaches on the same problems in isolation.
// Reads an ONEDNN_VERBOSE=1 log of a SwiftPose run on stdin, takes every convolution execution (forward,
// backward-data, backward-weights), and for each distinct problem times the same convolution alone with
// oneDNN choosing every layout (format_any), best of 5 after a warm-up. Prints, per pass, the time SwiftPose
// spent per step (median execution x executions per step) and the isolated time, and their ratio.
// The optional second argument skips the log's first steps: in a process's first two training steps, buffers
// that the pool hands out for the first time are still being faulted in (a fresh 100 MB gradient costs ~90 ms of
// page faults inside the convolution that first writes it), which is start-up, not convolution work.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_conv_isolated.cpp -o /tmp/conv_isolated -ldnnl
// Run:   ONEDNN_VERBOSE=1 .build/release/swiftpose bench --model res50 --batch 32 --case training \
//            --runs 1 --warmup 1 > /tmp/verbose.log
//        /tmp/conv_isolated 2 < /tmp/verbose.log        (2 = steps in the log: warm-up + timed run)
//        /tmp/conv_isolated 5 2 < /tmp/verbose.log      (--runs 3 --warmup 2: the last 3 of 5 steps)
//        /tmp/conv_isolated 5 2 best < /tmp/verbose.log (alone = the faster of direct and Winograd where
//                                                        oneDNN has Winograd: 3×3 stride 1; SwiftPose's default
//                                                        path runs those as Winograd, so this is its like for like)
#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_timing.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;


/// One convolution problem as oneDNN's verbose line names it (`mb32_ic64oc64_ih64oh64kh3sh1dh0ph1_iw48...`).
struct Problem {
    int mb, ic, oc, ih, oh, kh, sh, dh, ph, iw, ow, kw, sw, dw, pw;
    /// The right/bottom padding is not printed; it follows from the output size.
    int padRight() const { return (ow - 1) * sw + (kw - 1) * (dw + 1) + 1 - iw - pw; }
    int padBottom() const { return (oh - 1) * sh + (kh - 1) * (dh + 1) + 1 - ih - ph; }
    double flops() const { return 2.0 * mb * ic * oc * kh * kw * oh * ow; }
};

static bool parse(const std::string& text, Problem& p) {
    return sscanf(text.c_str(), "mb%d_ic%doc%d_ih%doh%dkh%dsh%ddh%dph%d_iw%dow%dkw%dsw%ddw%dpw%d", &p.mb, &p.ic,
                  &p.oc, &p.ih, &p.oh, &p.kh, &p.sh, &p.dh, &p.ph, &p.iw, &p.ow, &p.kw, &p.sw, &p.dw, &p.pw) == 15;
}

/// The isolated time (ms) of one pass of `p` with format_any and `alg`, and the implementation oneDNN chose.
static std::pair<double, std::string> isolatedWith(const Problem& p, const std::string& pass, algorithm alg) {
    memory::desc src({p.mb, p.ic, p.ih, p.iw}, dt::f32, tag::any), wei({p.oc, p.ic, p.kh, p.kw}, dt::f32, tag::any),
        dst({p.mb, p.oc, p.oh, p.ow}, dt::f32, tag::any);
    memory::dims strides{p.sh, p.sw}, dilation{p.dh, p.dw}, left{p.ph, p.pw}, right{p.padBottom(), p.padRight()};
    auto fwdKind = pass == "forward_inference" ? prop_kind::forward_inference : prop_kind::forward_training;
    auto fpd = convolution_forward::primitive_desc(
        convolution_forward::desc(fwdKind, alg, src, wei, dst, strides, dilation, left, right),
        eng);
    auto mem = [](const memory::desc& d) { return memory(d, eng); };
    if (pass == "backward_data") {
        auto pd = convolution_backward_data::primitive_desc(
            convolution_backward_data::desc(alg, src, wei, dst, strides, dilation, left, right),
            eng, fpd);
        auto ds = mem(pd.diff_src_desc()), w = mem(pd.weights_desc()), dd = mem(pd.diff_dst_desc());
        convolution_backward_data prim(pd);
        return {bestMs([&] { prim.execute(strm, {{DNNL_ARG_DIFF_SRC, ds}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, dd}}); }),
                pd.impl_info_str()};
    }
    if (pass == "backward_weights") {
        auto pd = convolution_backward_weights::primitive_desc(
            convolution_backward_weights::desc(alg, src, wei, dst, strides, dilation, left, right),
            eng, fpd);
        auto s = mem(pd.src_desc()), dw = mem(pd.diff_weights_desc()), dd = mem(pd.diff_dst_desc());
        convolution_backward_weights prim(pd);
        return {bestMs([&] { prim.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_DST, dd}}); }),
                pd.impl_info_str()};
    }
    auto s = mem(fpd.src_desc()), w = mem(fpd.weights_desc()), d = mem(fpd.dst_desc());
    convolution_forward prim(fpd);
    return {bestMs([&] { prim.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, d}}); }),
            fpd.impl_info_str()};
}

/// The isolated time of one pass of `p`: direct, or with `bestAlgorithm` the faster of direct and Winograd where
/// oneDNN implements Winograd for the problem (it throws `dnnl::error` where it does not).
static std::pair<double, std::string> isolated(const Problem& p, const std::string& pass, bool bestAlgorithm) {
    auto direct = isolatedWith(p, pass, algorithm::convolution_direct);
    if (!bestAlgorithm || p.kh != 3 || p.kw != 3 || p.sh != 1 || p.sw != 1 || p.dh != 0 || p.dw != 0) return direct;
    try {
        auto winograd = isolatedWith(p, pass, algorithm::convolution_winograd);
        return winograd.first < direct.first ? winograd : direct;
    } catch (const dnnl::error&) {
        return direct;
    }
}

/// Splits a verbose line at commas.
static std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); i++) {
        if (i == line.size() || line[i] == ',') {
            out.push_back(line.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

int main(int argc, char** argv) {
    const double steps = argc > 1 ? atof(argv[1]) : 1;
    const double skippedSteps = argc > 2 ? atof(argv[2]) : 0;
    const bool bestAlgorithm = argc > 3 && std::string(argv[3]) == "best";
    if (argc > 4 || (argc > 3 && !bestAlgorithm)) {
        fprintf(stderr, "usage: conv_isolated [STEPS [SKIPPED_STEPS [best]]] < verbose.log\n");
        return 2;
    }
    // (pass, problem) -> execution times (ms) and SwiftPose's implementation.
    std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::string>> runs;
    std::string line;
    while (std::getline(std::cin, line)) {
        auto f = fields(line);
        if (f.size() < 11 || f[0] != "onednn_verbose" || f[1] != "exec" || f[3] != "convolution") continue;
        auto& entry = runs[{f[5], f[f.size() - 2]}];
        entry.first.push_back(atof(f.back().c_str()));
        entry.second = f[4];
    }
    struct Total { double ours = 0, alone = 0, flops = 0; };
    std::map<std::string, Total> totals;
    printf("pass problem execs/step swiftpose_ms(impl) isolated_ms(impl) ratio\n");
    for (auto& [key, value] : runs) {
        Problem p;
        if (!parse(key.second, p)) {
            fprintf(stderr, "skipped (unparsed problem): %s\n", key.second.c_str());
            continue;
        }
        const double perStep = value.first.size() / steps;
        const size_t skipped = std::min(value.first.size(), size_t(perStep * skippedSteps));
        std::vector<double> times(value.first.begin() + skipped, value.first.end());
        if (times.empty()) continue;
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2];
        auto [alone, impl] = isolated(p, key.first, bestAlgorithm);
        auto& t = totals[key.first];
        t.ours += median * perStep;
        t.alone += alone * perStep;
        t.flops += p.flops() * perStep;
        printf("%s %s %.0f %.2f(%s) %.2f(%s) %.2f\n", key.first.c_str(), key.second.c_str(), perStep, median,
               value.second.c_str(), alone, impl.c_str(), alone / median);
    }
    printf("\nper step: pass, SwiftPose ms (GFLOP/s), oneDNN alone ms (GFLOP/s), alone/SwiftPose\n");
    Total all;
    for (auto& [pass, t] : totals) {
        printf("%-18s %9.1f (%4.0f) %9.1f (%4.0f) %5.2f\n", pass.c_str(), t.ours, t.flops / t.ours / 1e6, t.alone,
               t.flops / t.alone / 1e6, t.alone / t.ours);
        all.ours += t.ours;
        all.alone += t.alone;
        all.flops += t.flops;
    }
    printf("%-18s %9.1f (%4.0f) %9.1f (%4.0f) %5.2f\n", "all", all.ours, all.flops / all.ours / 1e6, all.alone,
           all.flops / all.alone / 1e6, all.alone / all.ours);
}
