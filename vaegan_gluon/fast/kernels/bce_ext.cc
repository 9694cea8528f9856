// Binary cross-entropy from logits, summed per row, as one MXNet 1.9 extension-library operator with its
// own backward: vaegan_bce_logits.
//
// Why this exists (written by hand: MXNet 1.9.1 has no fused sigmoid-BCE operator; gluon.loss's
// SigmoidBinaryCrossEntropyLoss is the same seven elementwise operators as losses.bce_from_logits): the
// stable form max(l, 0) - l * t + log(1 + exp(-|l|)) is seven operators forward and about ten backward,
// plus the reshape and the per-image sum -- on the dense models' small arrays each costs the engine as much as
// a layer (the combo step computes it four times: the VAE's PBP, two discriminator terms, the adversarial
// term). Here it is one operator each way:
//
//   forward:  out[i] = sum_j  max(l_ij, 0) - l_ij * t_ij + log1p(exp(-|l_ij|))      (rows summed in double)
//   backward: dl_ij = og_i * (sigmoid(l_ij) - t_ij),   dt_ij = -og_i * l_ij
//
// Inputs: logits (N, ...) and targets of the same shape; or logits alone with the attribute
// ``label`` (a constant target, e.g. 1 for "real"). Output: (N,). The gradient is the exact derivative,
// not autograd's chain through relu/abs/softrelu: equal to float rounding, not bit for bit
// (tests/test_fused_bce.py).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "mxnet/lib_api.h"

#if defined(__AVX2__)
// eight floats at a time through glibc's vector maths (libmvec, -lmvec; accurate to a few ulp, IEEE NaN/inf);
// a baseline build runs the scalar loops only
#include <immintrin.h>
extern "C" __m256 _ZGVdN8v_expf(__m256);
extern "C" __m256 _ZGVdN8v_log1pf(__m256);
#endif

using namespace mxnet::ext;

namespace {

inline float bce_elem(float x, float y) {
  return (x > 0.f ? x : 0.f) - x * y + std::log1p(std::exp(-std::fabs(x)));
}

inline float sigmoid_elem(float x) {
  const float e = std::exp(-std::fabs(x));                 // from exp(-|x|): no overflow
  return x >= 0.f ? 1.f / (1.f + e) : e / (1.f + e);
}

// sum_j bce(l[j], t[j] or label) over one row, in double
double bce_row(const float* l, const float* t, float label, int64_t cols) {
  double acc = 0.0;
  int64_t j = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps(), sign = _mm256_set1_ps(-0.f), lab = _mm256_set1_ps(label);
  __m256d acc_lo = _mm256_setzero_pd(), acc_hi = _mm256_setzero_pd();
  for (; j + 8 <= cols; j += 8) {
    const __m256 x = _mm256_loadu_ps(l + j), y = t ? _mm256_loadu_ps(t + j) : lab;
    const __m256 sp = _ZGVdN8v_log1pf(_ZGVdN8v_expf(_mm256_or_ps(x, sign)));   // log1p(exp(-|x|))
    const __m256 v = _mm256_add_ps(_mm256_sub_ps(_mm256_max_ps(x, zero), _mm256_mul_ps(x, y)), sp);
    acc_lo = _mm256_add_pd(acc_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    acc_hi = _mm256_add_pd(acc_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(acc_lo, acc_hi));
  acc = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
  for (; j < cols; ++j) acc += static_cast<double>(bce_elem(l[j], t ? t[j] : label));
  return acc;
}

// dl[j] = g * (sigmoid(l[j]) - t[j] or label) over one row
void bce_row_grad(const float* l, const float* t, float label, float g, float* dl, int64_t cols) {
  int64_t j = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f), sign = _mm256_set1_ps(-0.f),
               lab = _mm256_set1_ps(label), gv = _mm256_set1_ps(g);
  for (; j + 8 <= cols; j += 8) {
    const __m256 x = _mm256_loadu_ps(l + j), y = t ? _mm256_loadu_ps(t + j) : lab;
    const __m256 e = _ZGVdN8v_expf(_mm256_or_ps(x, sign));
    const __m256 inv = _mm256_div_ps(one, _mm256_add_ps(one, e));
    const __m256 s = _mm256_blendv_ps(_mm256_mul_ps(e, inv), inv, _mm256_cmp_ps(x, zero, _CMP_GE_OQ));
    _mm256_storeu_ps(dl + j, _mm256_mul_ps(gv, _mm256_sub_ps(s, y)));
  }
#endif
  for (; j < cols; ++j) dl[j] = g * (sigmoid_elem(l[j]) - (t ? t[j] : label));
}

bool has_label(const std::unordered_map<std::string, std::string>& attrs, float* label) {
  auto it = attrs.find("label");
  if (it == attrs.end()) return false;
  *label = std::stof(it->second);
  return true;
}

// rows x cols, row-major
int64_t cols_of(const MXTensor& t) {
  return t.shape.empty() || t.shape[0] == 0 ? 0 : t.size() / t.shape[0];
}

MXReturnValue bce_forward(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const OpResource& res) {
  float label = 0.f;
  const bool constant = has_label(attrs, &label);
  MXTensor& lt = (*inputs)[0];
  const float* l = lt.data<float>();
  const float* t = constant ? nullptr : (*inputs)[1].data<float>();
  float* out = (*outputs)[0].data<float>();
  const int64_t rows = lt.shape.empty() ? 0 : lt.shape[0], cols = cols_of(lt);
#pragma omp parallel for schedule(static) if (rows * cols >= 32768)
  for (int64_t i = 0; i < rows; ++i) {
    out[i] = static_cast<float>(bce_row(l + i * cols, constant ? nullptr : t + i * cols, label, cols));
  }
  return MX_SUCCESS;
}

// inputs: out_grad (N,), logits, [targets], out (N,); outputs: d logits, [d targets]
MXReturnValue bce_backward(const std::unordered_map<std::string, std::string>& attrs,
                           std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const OpResource& res) {
  float label = 0.f;
  const bool constant = has_label(attrs, &label);
  const float* og = (*inputs)[0].data<float>();
  MXTensor& lt = (*inputs)[1];
  const float* l = lt.data<float>();
  const float* t = constant ? nullptr : (*inputs)[2].data<float>();
  float* dl = (*outputs)[0].data<float>();
  float* dt = constant ? nullptr : (*outputs)[1].data<float>();
  const int64_t rows = lt.shape.empty() ? 0 : lt.shape[0], cols = cols_of(lt);
#pragma omp parallel for schedule(static) if (rows * cols >= 32768)
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t k = i * cols;
    bce_row_grad(l + k, constant ? nullptr : t + k, label, og[i], dl + k, cols);
    if (dt) {
      for (int64_t j = 0; j < cols; ++j) dt[k + j] = -og[i] * l[k + j];
    }
  }
  return MX_SUCCESS;
}

MXReturnValue bce_parse_attrs(const std::unordered_map<std::string, std::string>& attrs, int* num_in, int* num_out) {
  float label;
  *num_in = has_label(attrs, &label) ? 1 : 2;
  *num_out = 1;
  return MX_SUCCESS;
}

// every input float32 (also vaegan_sigmoid's)
MXReturnValue bce_infer_type(const std::unordered_map<std::string, std::string>& attrs,
                             std::vector<int>* in_types, std::vector<int>* out_types) {
  for (size_t i = 0; i < in_types->size(); ++i) {
    if ((*in_types)[i] != kFloat32) {
      MX_ERROR_MSG << "vaegan_bce_logits / vaegan_sigmoid: input " << i << " must be float32";
      return MX_FAIL;
    }
  }
  (*out_types)[0] = kFloat32;
  return MX_SUCCESS;
}

MXReturnValue bce_infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                              std::vector<std::vector<unsigned int>>* in_shapes,
                              std::vector<std::vector<unsigned int>>* out_shapes) {
  const auto& s = (*in_shapes)[0];
  if (s.empty()) {
    MX_ERROR_MSG << "vaegan_bce_logits: logits need a batch axis";
    return MX_FAIL;
  }
  if (in_shapes->size() == 2 && (*in_shapes)[1] != s) {
    MX_ERROR_MSG << "vaegan_bce_logits: logits and targets must have the same shape";
    return MX_FAIL;
  }
  (*out_shapes)[0] = {s[0]};
  return MX_SUCCESS;
}

// vaegan_sigmoid: 1 / (1 + exp(-x)), elementwise, eight at a time (MXNet 1.9.1's wheel runs its sigmoid one
// element at a time); backward og * (y * (1 - y)) from the output y, MXNet's own sigmoid_grad.
MXReturnValue sigmoid_forward(const std::unordered_map<std::string, std::string>& attrs,
                              std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const OpResource& res) {
  const float* x = (*inputs)[0].data<float>();
  float* y = (*outputs)[0].data<float>();
  const int64_t n = (*inputs)[0].size();
#pragma omp parallel if (n >= 32768)
  {
#if defined(__AVX2__)
    const __m256 one = _mm256_set1_ps(1.f), sign = _mm256_set1_ps(-0.f);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n / 8; ++i) {
      const __m256 e = _ZGVdN8v_expf(_mm256_xor_ps(_mm256_loadu_ps(x + 8 * i), sign));   // exp(-x)
      _mm256_storeu_ps(y + 8 * i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
    }
    const int64_t done = n / 8 * 8;
#else
    const int64_t done = 0;
#endif
#pragma omp single
    for (int64_t i = done; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
  }
  return MX_SUCCESS;
}

// inputs: out_grad, x, y; outputs: d x
MXReturnValue sigmoid_backward(const std::unordered_map<std::string, std::string>& attrs,
                               std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const OpResource& res) {
  const float* og = (*inputs)[0].data<float>();
  const float* y = (*inputs)[2].data<float>();
  float* dx = (*outputs)[0].data<float>();
  const int64_t n = (*outputs)[0].size();
#pragma omp parallel for simd schedule(static) if (n >= 32768)
  for (int64_t i = 0; i < n; ++i) dx[i] = og[i] * (y[i] * (1.f - y[i]));
  return MX_SUCCESS;
}

MXReturnValue sigmoid_parse_attrs(const std::unordered_map<std::string, std::string>& attrs, int* num_in,
                                  int* num_out) {
  *num_in = 1;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue sigmoid_infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                                  std::vector<std::vector<unsigned int>>* in_shapes,
                                  std::vector<std::vector<unsigned int>>* out_shapes) {
  (*out_shapes)[0] = (*in_shapes)[0];
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(vaegan_sigmoid)
.setForward(sigmoid_forward, "cpu")
.setBackward(sigmoid_backward, "cpu")
.setParseAttrs(sigmoid_parse_attrs)
.setInferType(bce_infer_type)
.setInferShape(sigmoid_infer_shape);

REGISTER_OP(vaegan_bce_logits)
.setForward(bce_forward, "cpu")
.setBackward(bce_backward, "cpu")
.setParseAttrs(bce_parse_attrs)
.setInferType(bce_infer_type)
.setInferShape(bce_infer_shape);
