// The multi-scale head's paper-width sub-pixel phase convolutions (2×2, stride 1) with their channel counts
// (2065, 273, 290) against the same padded to multiples of 16 and against SimpleBaseline's 256: forward,
// backward-data and backward-weights in oneDNN alone, NHWC, batch 32 and batch 1, best of 5 — whether padding
// those channels inside the head would pay (docs/PERFORMANCE.md, "Fourth session": it does not).
//
// Build: g++ -O2 -std=c++17 Tools/onednn_head_channels.cpp -o /tmp/onednn_head_channels -ldnnl
// Run:   /tmp/onednn_head_channels
#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_timing.h"
#include <cstdio>
using namespace dnnl; using tag=memory::format_tag; using dt=memory::data_type;
void run(int mb,int ic,int oc,int h,int w){
  memory::desc src({mb,ic,h,w},dt::f32,tag::acdb),wei({oc,ic,2,2},dt::f32,tag::any),dst({mb,oc,h,w},dt::f32,tag::acdb);
  memory::dims s{1,1},l{1,1},r{0,0};
  auto fpd=convolution_forward::primitive_desc(convolution_forward::desc(prop_kind::forward_training,algorithm::convolution_direct,src,wei,dst,s,l,r),eng);
  auto m=[](const memory::desc&d){return memory(d,eng);};
  auto S=m(fpd.src_desc()),W=m(fpd.weights_desc()),D=m(fpd.dst_desc()); convolution_forward f(fpd);
  double tf=bestMs([&]{f.execute(strm,{{DNNL_ARG_SRC,S},{DNNL_ARG_WEIGHTS,W},{DNNL_ARG_DST,D}});});
  auto bpd=convolution_backward_data::primitive_desc(convolution_backward_data::desc(algorithm::convolution_direct,src,wei,dst,s,l,r),eng,fpd);
  auto dS=m(bpd.diff_src_desc()),W2=m(bpd.weights_desc()),dD=m(bpd.diff_dst_desc()); convolution_backward_data b(bpd);
  double tb=bestMs([&]{b.execute(strm,{{DNNL_ARG_DIFF_SRC,dS},{DNNL_ARG_WEIGHTS,W2},{DNNL_ARG_DIFF_DST,dD}});});
  auto wpd=convolution_backward_weights::primitive_desc(convolution_backward_weights::desc(algorithm::convolution_direct,src,wei,dst,s,l,r),eng,fpd);
  auto S3=m(wpd.src_desc()),dW=m(wpd.diff_weights_desc()),dD3=m(wpd.diff_dst_desc()); convolution_backward_weights bw(wpd);
  double tw=bestMs([&]{bw.execute(strm,{{DNNL_ARG_SRC,S3},{DNNL_ARG_DIFF_WEIGHTS,dW},{DNNL_ARG_DIFF_DST,dD3}});});
  printf("mb%d ic%4d oc%3d %dx%d: fwd %6.2f bwd_d %6.2f bwd_w %6.2f  (%s | %s | %s)\n",mb,ic,oc,h,w,tf,tb,tw,fpd.impl_info_str(),bpd.impl_info_str(),wpd.impl_info_str());
}
int main(){
  for(int mb: {32,1}){
  run(mb,256,256,32,24); run(mb,290,290,32,24); run(mb,290,304,32,24); run(mb,304,304,32,24);
  run(mb,273,273,16,12); run(mb,273,288,16,12); run(mb,288,288,16,12);
  run(mb,2048,256,8,6); run(mb,2065,256,8,6); run(mb,2080,256,8,6);}
}
