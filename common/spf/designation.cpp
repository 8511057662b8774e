#include "common/spf/designation.hpp"

namespace im2k::spf {

designation designation_of(result value) {
  switch (value) {
    case result::pass:
      return designation::designated;
    case result::temperror:
      return designation::refused_temporary;
    case result::none:
    case result::neutral:
    case result::fail:
    case result::softfail:
    case result::permerror:
      return designation::refused_permanent;
  }
  return designation::refused_permanent;
}

std::string_view to_string(designation value) {
  switch (value) {
    case designation::designated:
      return "designated";
    case designation::refused_permanent:
      return "refused_permanent";
    case designation::refused_temporary:
      return "refused_temporary";
  }
  return "refused_permanent";
}

}  // namespace im2k::spf
