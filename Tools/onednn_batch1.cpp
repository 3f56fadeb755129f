// ResNet-50's batch-1 convolutions at 256×192 in oneDNN alone, fp32 forward inference: each shape hot (the fastest
// of 20 runs on the same weights, which then sit in cache) and cold (the mean over runs that cycle through enough
// copies of the weights to leave the cache, as a network's forward meets them), blocked and NHWC. Where SwiftPose's
// batch-1 latency goes (docs/PERFORMANCE.md, "Eighth session"): in the network these run at about the cold speed,
// so streaming the weights, not the code around the primitives, sets the pace.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_batch1.cpp -o /tmp/onednn_batch1 -ldnnl
// Run:   /tmp/onednn_batch1
#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_timing.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

/// Hot and cold forward time (ms) of one convolution with activations in layout `t`, and oneDNN's implementation.
static void probe(int ic, int oc, int h, int w, int k, int s, tag t) {
    const int p = k / 2, oh = h / s, ow = w / s;
    auto pd = convolution_forward::primitive_desc(
        convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                  memory::desc({1, ic, h, w}, dt::f32, t), memory::desc({oc, ic, k, k}, dt::f32, tag::any),
                                  memory::desc({1, oc, oh, ow}, dt::f32, t), {s, s}, {p, p}, {p, p}),
        eng);
    memory src(pd.src_desc(), eng), dst(pd.dst_desc(), eng);
    memset(src.get_data_handle(), 0, pd.src_desc().get_size());
    const size_t weightBytes = pd.weights_desc().get_size();
    // Enough copies to fill 600 MB (more than the last-level cache this machine reports, 300 MB), at least 4.
    const int copies = int(std::clamp<size_t>((600ull << 20) / weightBytes, 4, 400));
    std::vector<memory> weights;
    for (int c = 0; c < copies; c++) {
        weights.emplace_back(pd.weights_desc(), eng);
        memset(weights.back().get_data_handle(), 0, weightBytes);
    }
    convolution_forward conv(pd);
    auto run = [&](const memory& wei) {
        return [&] { conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}}); };
    };
    double cold = 0;
    for (int r = 0; r < 2 * copies; r++) {  // the first pass over the copies faults them in
        double ms = onceMs(run(weights[r % copies]));
        if (r >= copies) cold += ms / copies;
    }
    double hot = 1e30;
    for (int r = 0; r < 20; r++) hot = std::min(hot, onceMs(run(weights[0])));
    const double flops = 2.0 * ic * oc * k * k * oh * ow;
    printf("%4d->%-4d k%d s%d @%2dx%-2d %s  weights %5.1f MB  hot %6.3f ms (%3.0f GFLOP/s)  cold %6.3f ms (%3.0f)  %s\n",
           ic, oc, k, s, h, w, t == tag::acdb ? "NHWC   " : "blocked", weightBytes / 1e6, hot, flops / hot / 1e6, cold,
           flops / cold / 1e6, pd.impl_info_str());
}

int main() {
    // C_in, C_out, H, W (input), kernel, stride: one of each kind per stage, layer1 to layer4.
    const int shapes[][6] = {{64, 256, 64, 48, 1, 1},   {256, 64, 64, 48, 1, 1},   {256, 512, 64, 48, 1, 2},
                             {128, 128, 64, 48, 3, 2},  {512, 128, 32, 24, 1, 1},  {1024, 256, 16, 12, 1, 1},
                             {1024, 2048, 16, 12, 1, 2}, {512, 512, 16, 12, 3, 2}, {2048, 512, 8, 6, 1, 1},
                             {512, 2048, 8, 6, 1, 1},   {512, 512, 8, 6, 3, 1}};
    for (auto& c : shapes)
        for (tag t : {tag::aBcd16b, tag::acdb}) probe(c[0], c[1], c[2], c[3], c[4], c[5], t);
}
