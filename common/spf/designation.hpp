// Whether an SPF result designates the sending server (architecture trust rules 2 and 4).
// Only "pass" designates; there is no best guess and no soft mode.
#pragma once

#include <string_view>

#include "common/spf/result.hpp"

namespace im2k::spf {

enum class designation { designated, refused_permanent, refused_temporary };

// pass -> designated; temperror -> refused_temporary (the DNS could not tell, so try again
// later); none, neutral, fail, softfail, permerror -> refused_permanent.
designation designation_of(result value);

std::string_view to_string(designation value);

}  // namespace im2k::spf
