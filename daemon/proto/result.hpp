#pragma once

#include <utility>
#include <variant>

#include "core/assert.hpp"

namespace redrund::proto {

// A value or the error that prevented it: what every decoder in proto returns, so callers at
// the network edge never see an exception. Reading the wrong alternative is a bug (asserted).
// The error type must differ from T; failures are built with proto::failure(...) so that the
// intent is visible at the return site.
template <class E>
struct failure_t {
  E error;
};

template <class E>
failure_t<E> failure(E error) {
  return failure_t<E>{std::move(error)};
}

template <class T, class E>
class result {
 public:
  result(T v) : state_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit by design
  result(failure_t<E> f) : state_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    REDRUND_ASSERT(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    REDRUND_ASSERT(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    REDRUND_ASSERT(ok());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    REDRUND_ASSERT(!ok());
    return std::get<1>(state_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace redrund::proto
