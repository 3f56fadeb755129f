// The head's ConvTranspose2d(4, 2, 1) two ways, three training passes each (batch 32, oneDNN alone, best of 5):
// as four 2×2 sub-pixel phase convolutions (`SubPixelDeconv`), and as the data gradient of the strided
// convolution it transposes (`StridedConvDeconv`: deconvolution forward = that convolution's backward-data,
// backward-data = its forward, backward-weights = its backward-weights). fp32 and bf16, NHWC.
// Result on this CPU (docs/PERFORMANCE.md, "Fifth session"): fp32 about even alone (the strided way saves the
// phase interleaving and weight rearranging around the primitives in the network); bf16 phases 1.5–3× faster.
// The paper widths (res50_4's 2065→256, 273→273, 290→290) and the same padded to whole 16-channel blocks
// ("Seventh session"): padding brings nothing in fp32, and the paper widths cost their extra FLOPs and more.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_head_strided.cpp -o /tmp/onednn_head_strided -ldnnl
// Run:   /tmp/onednn_head_strided
#include <oneapi/dnnl/dnnl.hpp>
#include "onednn_timing.h"
#include <cstdio>
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

int main() {
    const int mb = 32;
    // C_in, C_out, H, W: SimpleBaseline's three, res50_4's paper widths, and those padded to whole 16-channel blocks
    // (zero input channels and grid channels, which the seventh session tried and did not keep).
    const int layers[9][4] = {{2048, 256, 8, 6}, {256, 256, 16, 12}, {256, 256, 32, 24},
                              {2065, 256, 8, 6}, {273, 273, 16, 12}, {290, 290, 32, 24},
                              {2080, 256, 8, 6}, {288, 288, 16, 12}, {304, 304, 32, 24}};
    for (dt type : {dt::f32, dt::bf16}) {
        for (auto& l : layers) {
            int cin = l[0], cout = l[1], h = l[2], w = l[3];
            // Strided: the transposed convolution grid [mb, C_out, 2H, 2W] -> [mb, C_in, H, W], kernel 4, stride 2, pad 1.
            auto strided = convPasses(memory::desc({mb, cout, 2 * h, 2 * w}, type, tag::acdb),
                                      memory::desc({cin, cout, 4, 4}, type, tag::any),
                                      memory::desc({mb, cin, h, w}, type, tag::acdb), {2, 2}, {1, 1}, {1, 1});
            ConvPasses phases{};
            for (int p = 0; p < 4; p++) {
                auto phase = convPasses(memory::desc({mb, cin, h, w}, type, tag::acdb),
                                        memory::desc({cout, cin, 2, 2}, type, tag::any),
                                        memory::desc({mb, cout, h, w}, type, tag::acdb), {1, 1},
                                        {1 - p / 2, 1 - p % 2}, {p / 2, p % 2});
                phases.forward += phase.forward;
                phases.backwardData += phase.backwardData;
                phases.backwardWeights += phase.backwardWeights;
                phases.forwardImpl = phase.forwardImpl;
            }
            // The deconvolution's forward is the strided convolution's backward-data and vice versa.
            printf("%s deconv %4d->%d @%dx%d  ms fwd / bwd-data / bwd-weights:  phases %.1f / %.1f / %.1f = %.1f"
                   "  |  strided %.1f / %.1f / %.1f = %.1f  (forward kernels: %s, %s)\n",
                   type == dt::f32 ? "fp32" : "bf16", cin, cout, h, w, phases.forward, phases.backwardData,
                   phases.backwardWeights, phases.sum(), strided.backwardData, strided.forward,
                   strided.backwardWeights, strided.sum(), phases.forwardImpl.c_str(),
                   strided.backwardDataImpl.c_str());
        }
    }
}
