// Test support: assert a codec result failed with exactly this codec error AND wire code.
#pragma once

#include <gtest/gtest.h>

#include "proto/codec_error.hpp"

namespace im2k::proto::test {

template <class T>
::testing::AssertionResult fails_with(const result<T>& r, codec_errc code, errc wire) {
  if (r)
    return ::testing::AssertionFailure()
           << "succeeded, expected " << make_error_code(code).message();
  const auto& f = r.error();
  if (f.code != make_error_code(code)) {
    return ::testing::AssertionFailure()
           << "failed with \"" << f.describe() << "\" (" << f.code.category().name() << ":"
           << f.code.value() << "), expected \"" << make_error_code(code).message() << "\"";
  }
  if (wire_code(f.code) != wire) {
    return ::testing::AssertionFailure()
           << "wire code " << to_string(wire_code(f.code)) << ", expected " << to_string(wire);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace im2k::proto::test
