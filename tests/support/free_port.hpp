// A port that is free on 127.0.0.1 for both TCP and UDP at the time of the call. Another
// process may take it before it is used, so whoever binds it should retry on "in use".
#pragma once

#include <cstdint>

namespace im2k::test {

std::uint16_t free_port();  // throws std::runtime_error if none is found

}  // namespace im2k::test
