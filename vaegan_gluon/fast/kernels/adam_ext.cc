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
//
// vaegan_multi_adam_update: the same update for num_weights tensors in one operator call (inputs
// w0, g0, m0, v0, w1, g1, m1, v1, ...; outputs the new w0, w1, ...; lrs and wds one per tensor, the
// other settings shared). Each tensor is updated by the same loop as above, so every tensor's result
// is bit-identical to its own adam_update; what it saves is the per-tensor cost around the arithmetic
// (one Python call, one engine push, one OpenMP region for the whole model instead of one per tensor:
// the dense models' ~20 small tensors). MXNet 1.9.1's own multi_adamw_update runs count x max_size
// scalar iterations (see train/optim.py); this runs sum(sizes), vectorised.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

float attr(const std::unordered_map<std::string, std::string>& attrs, const char* key, float dflt) {
  auto it = attrs.find(key);
  return it == attrs.end() ? dflt : std::stof(it->second);
}

template <bool kClip>
void multi_adam(std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const std::vector<float>& lrs,
                const std::vector<float>& wds, int64_t total, float clip, float rescale, float beta1, float beta2,
                float eps) {
  const int nw = static_cast<int>(outputs->size());
  const float omb1 = 1.f - beta1, omb2 = 1.f - beta2;
  // one OpenMP region for every tensor (each tensor's elements split across the threads, no barrier
  // between tensors: they are independent); serial when the whole model is small
#pragma omp parallel if (total >= 32768)
  for (int k = 0; k < nw; ++k) {
    float* out = (*outputs)[k].data<float>();
    float* mean = (*inputs)[4 * k + 2].data<float>();
    float* var = (*inputs)[4 * k + 3].data<float>();
    const float* w = (*inputs)[4 * k].data<float>();
    const float* g = (*inputs)[4 * k + 1].data<float>();
    const float lr = lrs[k], wd = wds[k];
    const int64_t n = (*outputs)[k].size();
#pragma omp for simd schedule(static) nowait
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
}

// the settings both operators share, then the loop above (the single-tensor operator is one tensor of it)
MXReturnValue run(const std::unordered_map<std::string, std::string>& attrs, std::vector<MXTensor>* inputs,
                  std::vector<MXTensor>* outputs, const std::vector<float>& lrs, const std::vector<float>& wds,
                  int64_t total) {
  const float clip = attr(attrs, "clip_gradient", -1.f), rescale = attr(attrs, "rescale_grad", 1.f);
  const float beta1 = attr(attrs, "beta1", 0.9f), beta2 = attr(attrs, "beta2", 0.999f);
  const float eps = attr(attrs, "epsilon", 1e-8f);
  if (clip >= 0.f)
    multi_adam<true>(inputs, outputs, lrs, wds, total, clip, rescale, beta1, beta2, eps);
  else
    multi_adam<false>(inputs, outputs, lrs, wds, total, clip, rescale, beta1, beta2, eps);
  return MX_SUCCESS;
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
  return run(attrs, inputs, outputs, {attr(attrs, "lr", 0.001f)}, {attr(attrs, "wd", 0.f)}, n);
}

MXReturnValue parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                          int* num_in, int* num_out) {
  *num_in = 4;
  *num_out = 1;
  return MX_SUCCESS;
}

// both operators: every input float32, every output float32 of the shape of its weight (input 4k)
MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  for (int t : *in_types) {
    if (t != kFloat32) {
      MX_ERROR_MSG << "vaegan Adam update: float32 only (use mx.nd.adam_update for other types)";
      return MX_FAIL;
    }
  }
  for (auto& t : *out_types) t = kFloat32;
  return MX_SUCCESS;
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  for (size_t k = 0; k < out_shapes->size(); ++k) (*out_shapes)[k] = (*in_shapes)[4 * k];
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<int>* input_indices) {
  input_indices->push_back(2);   // mean
  input_indices->push_back(3);   // var
  return MX_SUCCESS;
}

// "(a, b, c)" or "[a, b, c]" or "a,b,c" -> floats, each parsed by std::stof as the single op parses lr
bool float_list(const std::unordered_map<std::string, std::string>& attrs, const char* key, size_t n,
                std::vector<float>* out) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return false;
  std::string item;
  for (char c : it->second + ",") {
    if (c == ',') {
      if (item.find_first_not_of(" ()[]") != std::string::npos) {
        const size_t a = item.find_first_not_of(" ()[]"), b = item.find_last_not_of(" ()[]");
        out->push_back(std::stof(item.substr(a, b - a + 1)));
      }
      item.clear();
    } else {
      item += c;
    }
  }
  return out->size() == n;
}

int num_weights(const std::unordered_map<std::string, std::string>& attrs) {
  auto it = attrs.find("num_weights");
  return it == attrs.end() ? -1 : std::stoi(it->second);
}

MXReturnValue multi_forward(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                            const OpResource& res) {
  const size_t nw = outputs->size();
  std::vector<float> lrs, wds;
  if (!float_list(attrs, "lrs", nw, &lrs) || !float_list(attrs, "wds", nw, &wds)) {
    MX_ERROR_MSG << "vaegan_multi_adam_update: lrs and wds need one value per weight (" << nw << ")";
    return MX_FAIL;
  }
  int64_t total = 0;
  for (size_t k = 0; k < nw; ++k) {
    const int64_t n = (*outputs)[k].size();
    for (int j = 0; j < 4; ++j) {
      if ((*inputs)[4 * k + j].size() != n) {
        MX_ERROR_MSG << "vaegan_multi_adam_update: weight " << k << ": weight, grad, mean, var and out "
                     << "must have the same size";
        return MX_FAIL;
      }
    }
    total += n;
  }
  return run(attrs, inputs, outputs, lrs, wds, total);
}

MXReturnValue multi_parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                                int* num_in, int* num_out) {
  const int nw = num_weights(attrs);
  if (nw < 1) {
    MX_ERROR_MSG << "vaegan_multi_adam_update: num_weights (>= 1) is required";
    return MX_FAIL;
  }
  *num_in = 4 * nw;
  *num_out = nw;
  return MX_SUCCESS;
}

MXReturnValue multi_mutate_inputs(const std::unordered_map<std::string, std::string>& attrs,
                                  std::vector<int>* input_indices) {
  const int nw = num_weights(attrs);
  for (int k = 0; k < nw; ++k) {
    input_indices->push_back(4 * k + 2);   // mean
    input_indices->push_back(4 * k + 3);   // var
  }
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(vaegan_adam_update)
.setForward(forward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);

REGISTER_OP(vaegan_multi_adam_update)
.setForward(multi_forward, "cpu")
.setParseAttrs(multi_parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(multi_mutate_inputs);

MXReturnValue initialize(int version) {
  return version >= 10700 ? MX_SUCCESS : MX_FAIL;
}
