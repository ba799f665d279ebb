#include "index/factory.h"

#include <faiss/IndexIDMap.h>
#include <faiss/index_factory.h>

#include <charconv>
#include <string>

#include "index/faiss_guard.h"

namespace likeness::index {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Checks every "<prefix><digits>" in `factory` for a number in [lo, hi]. A prefix with no digits
// after it (FAISS's default, e.g. "HNSW,Flat") is accepted.
Status CheckNumberAfter(std::string_view factory, std::string_view prefix, int lo, int hi) {
  for (size_t pos = factory.find(prefix); pos != std::string_view::npos;
       pos = factory.find(prefix, pos + 1)) {
    const size_t begin = pos + prefix.size();
    size_t end = begin;
    while (end < factory.size() && IsDigit(factory[end])) ++end;
    if (end == begin) continue;
    int value = 0;
    const auto [ptr, ec] = std::from_chars(factory.data() + begin, factory.data() + end, value);
    if (ec != std::errc() || value < lo || value > hi) {
      return Status::InvalidArgument("index factory \"" + std::string(factory) +
                                     "\": " + std::string(prefix) + " parameter must be in [" +
                                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateFactory(std::string_view factory, int dim) {
  if (dim < 1 || dim > kMaxDim) {
    return Status::InvalidArgument("index dimension " + std::to_string(dim) + " is not in [1, " +
                                   std::to_string(kMaxDim) + "]");
  }
  if (factory.empty()) return Status::InvalidArgument("index factory string is empty");
  if (factory.size() > kMaxFactoryLength) {
    return Status::InvalidArgument("index factory string is longer than " +
                                   std::to_string(kMaxFactoryLength) + " characters");
  }
  for (const char c : factory) {
    if (c < '!' || c > '~') {
      return Status::InvalidArgument("index factory string has a space or non-printable character");
    }
  }
  if (factory.find("IDMap") != std::string_view::npos) {
    return Status::InvalidArgument("index factory \"" + std::string(factory) +
                                   "\": leave out IDMap, the index maps ids itself");
  }
  RETURN_IF_ERROR(CheckNumberAfter(factory, "HNSW", kMinHnswM, kMaxHnswM));
  RETURN_IF_ERROR(CheckNumberAfter(factory, "IVF", 1, kMaxIvfLists));
  return Status::Ok();
}

Result<std::unique_ptr<faiss::Index>> MakeInnerIndex(std::string_view factory, int dim) {
  RETURN_IF_ERROR(ValidateFactory(factory, dim));
  const std::string spec(factory);
  std::unique_ptr<faiss::Index> inner;
  RETURN_IF_ERROR(GuardFaiss("index factory \"" + spec + "\"", StatusCode::kInvalidArgument, [&] {
    inner.reset(faiss::index_factory(dim, spec.c_str(), faiss::METRIC_INNER_PRODUCT));
  }));
  if (inner == nullptr) {
    return Status::InvalidArgument("index factory \"" + spec + "\" built nothing");
  }
  if (inner->metric_type != faiss::METRIC_INNER_PRODUCT) {
    return Status::InvalidArgument("index factory \"" + spec +
                                   "\" does not support inner-product search");
  }
  if (dynamic_cast<const faiss::IndexIDMap*>(inner.get()) != nullptr) {
    return Status::InvalidArgument("index factory \"" + spec +
                                   "\": leave out IDMap, the index maps ids itself");
  }
  return inner;
}

}  // namespace likeness::index
