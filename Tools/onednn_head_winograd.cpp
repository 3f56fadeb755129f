// Could the head's deconvolutions use Winograd? Each ConvTranspose2d(4, 2, 1) is four 2×2 phase convolutions
// (SubPixelDeconv); the same four phases are one 3×3 stride-1 convolution with 4·C_out outputs (zero taps) and a
// pixel shuffle, which oneDNN can run as Winograd. This times both (forward + backward-data + backward-weights,
// batch 32, oneDNN alone, best of 5) for res50's three deconvolutions; the pixel shuffle is not included.
// Result on this CPU (docs/PERFORMANCE.md, "Fourth session"): no clear gain.
//
// Build: g++ -O2 -std=c++17 Tools/onednn_head_winograd.cpp -o /tmp/onednn_head_winograd -ldnnl
// Run:   /tmp/onednn_head_winograd
#include <oneapi/dnnl/dnnl.hpp>
#include "onednn_timing.h"
#include <cstdio>
using namespace dnnl; using tag=memory::format_tag; using dt=memory::data_type;
double passes(int mb,int ic,int oc,int h,int w,int k,memory::dims l,memory::dims r,algorithm alg,tag t,double*out){
  auto p=convPasses(memory::desc({mb,ic,h,w},dt::f32,t),memory::desc({oc,ic,k,k},dt::f32,tag::any),memory::desc({mb,oc,h,w},dt::f32,t),{1,1},l,r,alg);
  out[0]=p.forward; out[1]=p.backwardData; out[2]=p.backwardWeights;
  return p.sum();
}
int main(){
  int L[3][4]={{2048,256,8,6},{256,256,16,12},{256,256,32,24}};
  for(auto&x:L){ double a[3],b[3];
    // four phases: 2x2 with the four paddings, NHWC direct
    double ph=0; for(int p=0;p<4;p++){ph+=passes(32,x[0],x[1],x[2],x[3],2,{1-p/2,1-p%2},{p/2,p%2},algorithm::convolution_direct,tag::acdb,a);}
    double wi=passes(32,x[0],4*x[1],x[2],x[3],3,{1,1},{1,1},algorithm::convolution_winograd,tag::nChw16c,b);
    printf("deconv %4d->%d @%dx%d: 4 phases direct NHWC %.1f ms (3 passes) | one 3x3 Winograd to %d ch %.1f ms (fwd %.1f bwd_d %.1f bwd_w %.1f)\n",x[0],x[1],x[2],x[3],ph,4*x[1],wi,b[0],b[1],b[2]);
  }
}
