// Winograd against direct convolution in oneDNN alone, on ResNet-50's four 3×3 stride-1 shapes at 256×192
// (batch 32): forward, backward-data and backward-weights, best of 5 after a warm-up, with the implementation
// oneDNN picked. Direct runs twice: NHWC (what SwiftPose's channelsLast path uses) and with oneDNN choosing the
// layout (blocked); Winograd needs the blocked layout.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_winograd.cpp -o /tmp/onednn_winograd -ldnnl
// Run:   /tmp/onednn_winograd
#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_timing.h"

#include <cstdio>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

/// One 3×3 stride-1 padding-1 convolution C→C on [mb, C, h, w]: the three passes' times and implementations.
static void measure(int mb, int c, int h, int w, algorithm alg, tag layout, const char* label) {
    auto p = convPasses(memory::desc({mb, c, h, w}, dt::f32, layout), memory::desc({c, c, 3, 3}, dt::f32, tag::any),
                        memory::desc({mb, c, h, w}, dt::f32, layout), {1, 1}, {1, 1}, {1, 1}, alg);
    printf("C=%4d %2dx%-2d %-14s fwd %7.2f ms (%s)  bwd-data %7.2f ms (%s)  bwd-weights %7.2f ms (%s)\n", c, h, w,
           label, p.forward, p.forwardImpl.c_str(), p.backwardData, p.backwardDataImpl.c_str(), p.backwardWeights,
           p.backwardWeightsImpl.c_str());
}

int main() {
    const int shapes[4][3] = {{64, 64, 48}, {128, 32, 24}, {256, 16, 12}, {512, 8, 6}};
    for (const auto& shape : shapes) {
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_direct, tag::acdb, "direct NHWC");
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_direct, tag::any, "direct any");
        measure(32, shape[0], shape[1], shape[2], algorithm::convolution_winograd, tag::any, "winograd");
    }
}
