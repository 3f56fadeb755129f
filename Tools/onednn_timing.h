// What the oneDNN probes in Tools/ share: one CPU engine and stream, and the best-of-5 timing.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>

static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
static dnnl::stream strm(eng);

/// The fastest of 5 runs of `run` (ms) after one warm-up run.
template <class F> static double bestMs(F run) {
    run();
    strm.wait();
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        auto t0 = std::chrono::steady_clock::now();
        run();
        strm.wait();
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}
