#include "common/spf/result.hpp"

namespace im2k::spf {

std::string_view to_string(result value) {
  switch (value) {
    case result::none:
      return "none";
    case result::neutral:
      return "neutral";
    case result::pass:
      return "pass";
    case result::fail:
      return "fail";
    case result::softfail:
      return "softfail";
    case result::temperror:
      return "temperror";
    case result::permerror:
      return "permerror";
  }
  return "permerror";
}

}  // namespace im2k::spf
