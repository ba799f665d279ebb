// Runs a FAISS call and turns whatever it throws into a Status, so no exception leaves the index
// module. Internal to src/index.
#pragma once

#include <faiss/impl/FaissException.h>

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "likeness/status.h"

namespace likeness::index {

// FAISS messages read "Error in <function> at <file>:<line>: <message>"; returns just <message>.
inline std::string_view FaissMessage(std::string_view what) {
  constexpr std::string_view kPrefix = "Error in ";
  if (what.substr(0, kPrefix.size()) != kPrefix) return what;
  const size_t at = what.find(" at ");
  if (at == std::string_view::npos) return what;
  const size_t colon = what.find(": ", at);
  if (colon == std::string_view::npos) return what;
  return what.substr(colon + 2);
}

// Calls fn(). A FaissException or other std::exception becomes a Status with `code` and the message
// prefixed by `what`; std::bad_alloc becomes ResourceExhausted.
template <typename Fn>
Status GuardFaiss(std::string_view what, StatusCode code, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(std::string(what) + ": out of memory");
  } catch (const faiss::FaissException& e) {
    return Status(code, std::string(what) + ": " + std::string(FaissMessage(e.what())));
  } catch (const std::exception& e) {
    return Status(code, std::string(what) + ": " + e.what());
  }
}

}  // namespace likeness::index
