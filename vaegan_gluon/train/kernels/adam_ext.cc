// Adam's update as an MXNet 1.9 extension-library operator: vaegan_adam_update.
//
// Why this exists (written by hand: no library ships a vectorised Adam for MXNet 1.9.1 on the CPU):
// the pip wheel's adam_update kernel is built for baseline x86-64 and runs one element at a time
// (scalar sqrtss/divss: ~4-6 ns an element, against ~1.5 ns for the 28 bytes an element must move).
// This is the same arithmetic, operation for operation and in the same order as MXNet's
// AdamUpdateKernel (src/operator/optimizer_op-inl.h), compiled for the machine it runs on
// (AVX2 where present) with -ffp-contract=off, so every operation rounds to float as the wheel's does
// and the results are bit-identical (tests/test_fastadam.py):
//
//   g    = grad * rescale_grad + weight * wd        (then clipped to +-clip_gradient if clip >= 0)
//   mean = beta1 * mean + (1 - beta1) * g
//   var  = beta2 * var + (1 - beta2) * g * g
//   out  = weight - lr * mean / (sqrt(var) + epsilon)
//
// Inputs: weight, grad, mean, var (mean and var are updated in place); output: the new weight
// (called with out=weight). Threads: OpenMP (the libgomp libmxnet.so itself uses), OMP_NUM_THREADS.
#include <cmath>
#include <cstdint>
#include <string>
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

float attr(const std::unordered_map<std::string, std::string>& attrs, const char* key, float dflt) {
  auto it = attrs.find(key);
  return it == attrs.end() ? dflt : std::stof(it->second);
}

template <bool kClip>
void adam_kernel(float* out, float* mean, float* var, const float* w, const float* g, int64_t n,
                 float clip, float rescale, float beta1, float beta2, float lr, float wd, float eps) {
  const float omb1 = 1.f - beta1, omb2 = 1.f - beta2;
  // out may be w itself (same index read before written): no loop-carried dependency
#pragma omp parallel for simd schedule(static) if (n >= 32768)
  for (int64_t i = 0; i < n; ++i) {
    float gr = g[i] * rescale + w[i] * wd;
    if (kClip) gr = gr > clip ? clip : (gr < -clip ? -clip : gr);
    const float m = beta1 * mean[i] + omb1 * gr;
    const float v = beta2 * var[i] + omb2 * gr * gr;
    mean[i] = m;
    var[i] = v;
    out[i] = w[i] - lr * m / (std::sqrt(v) + eps);
  }
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& w = (*inputs)[0];
  MXTensor& g = (*inputs)[1];
  MXTensor& m = (*inputs)[2];
  MXTensor& v = (*inputs)[3];
  MXTensor& o = (*outputs)[0];
  const int64_t n = w.size();
  if (g.size() != n || m.size() != n || v.size() != n || o.size() != n) {
    MX_ERROR_MSG << "vaegan_adam_update: weight, grad, mean, var and out must have the same size";
    return MX_FAIL;
  }
  const float clip = attr(attrs, "clip_gradient", -1.f), rescale = attr(attrs, "rescale_grad", 1.f);
  const float beta1 = attr(attrs, "beta1", 0.9f), beta2 = attr(attrs, "beta2", 0.999f);
  const float lr = attr(attrs, "lr", 0.001f), wd = attr(attrs, "wd", 0.f), eps = attr(attrs, "epsilon", 1e-8f);
  if (clip >= 0.f)
    adam_kernel<true>(o.data<float>(), m.data<float>(), v.data<float>(), w.data<float>(), g.data<float>(),
                      n, clip, rescale, beta1, beta2, lr, wd, eps);
  else
    adam_kernel<false>(o.data<float>(), m.data<float>(), v.data<float>(), w.data<float>(), g.data<float>(),
                       n, clip, rescale, beta1, beta2, lr, wd, eps);
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                          int* num_in, int* num_out) {
  *num_in = 4;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  for (int t : *in_types) {
    if (t != kFloat32) {
      MX_ERROR_MSG << "vaegan_adam_update: float32 only (use mx.nd.adam_update for other types)";
      return MX_FAIL;
    }
  }
  (*out_types)[0] = kFloat32;
  return MX_SUCCESS;
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  (*out_shapes)[0] = (*in_shapes)[0];
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<int>* input_indices) {
  input_indices->push_back(2);   // mean
  input_indices->push_back(3);   // var
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(vaegan_adam_update)
.setForward(forward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);

MXReturnValue initialize(int version) {
  return version >= 10700 ? MX_SUCCESS : MX_FAIL;
}
