// Winograd against direct convolution in oneDNN alone, on ResNet-50's four 3×3 stride-1 shapes at 256×192
// (batch 32): forward, backward-data and backward-weights, best of 5 after a warm-up, with the implementation
// oneDNN picked. Direct runs twice: NHWC (what SwiftPose's channelsLast path uses) and with oneDNN choosing the
// layout (blocked); Winograd needs the blocked layout.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_winograd.cpp -o /tmp/onednn_winograd -ldnnl
// Run:   /tmp/onednn_winograd
#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_timing.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;


/// One 3×3 stride-1 padding-1 convolution C→C on [mb, C, h, w]: the three passes' times and implementations.
static void measure(int mb, int c, int h, int w, algorithm alg, tag layout, const char* label) {
    memory::desc src({mb, c, h, w}, dt::f32, layout), wei({c, c, 3, 3}, dt::f32, tag::any),
        dst({mb, c, h, w}, dt::f32, layout);
    memory::dims strides{1, 1}, pad{1, 1};
    auto mem = [](const memory::desc& d) { return memory(d, eng); };
    auto fpd = convolution_forward::primitive_desc(
        convolution_forward::desc(prop_kind::forward_training, alg, src, wei, dst, strides, pad, pad), eng);
    auto s = mem(fpd.src_desc()), wt = mem(fpd.weights_desc()), d = mem(fpd.dst_desc());
    convolution_forward fwd(fpd);
    double tf = bestMs([&] { fwd.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_DST, d}}); });
    auto bpd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(alg, src, wei, dst, strides, pad, pad), eng, fpd);
    auto ds = mem(bpd.diff_src_desc()), bw = mem(bpd.weights_desc()), dd = mem(bpd.diff_dst_desc());
    convolution_backward_data bwdData(bpd);
    double tb = bestMs([&] {
        bwdData.execute(strm, {{DNNL_ARG_DIFF_SRC, ds}, {DNNL_ARG_WEIGHTS, bw}, {DNNL_ARG_DIFF_DST, dd}});
    });
    auto wpd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(alg, src, wei, dst, strides, pad, pad), eng, fpd);
    auto ws = mem(wpd.src_desc()), dw = mem(wpd.diff_weights_desc()), wd = mem(wpd.diff_dst_desc());
    convolution_backward_weights bwdWeights(wpd);
    double tw = bestMs([&] {
        bwdWeights.execute(strm, {{DNNL_ARG_SRC, ws}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_DST, wd}});
    });
    printf("C=%4d %2dx%-2d %-14s fwd %7.2f ms (%s)  bwd-data %7.2f ms (%s)  bwd-weights %7.2f ms (%s)\n", c, h, w,
           label, tf, fpd.impl_info_str(), tb, bpd.impl_info_str(), tw, wpd.impl_info_str());
}

int main() {
    const int shapes[4][3] = {{64, 64, 48}, {128, 32, 24}, {256, 16, 12}, {512, 8, 6}};
    for (const auto& shape : shapes) {
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_direct, tag::acdb, "direct NHWC");
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_direct, tag::any, "direct any");
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_winograd, tag::any, "winograd");
    }
}
