#include "mc/failure.hpp"

#include <stdexcept>

namespace im2k::mc {

int exit_status_of(const failure& f) {
  if (f.code == code_usage || f.code == code_config) {
    return exit_usage;
  }
  return f.temporary ? exit_temporary : exit_permanent;
}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
  throw std::runtime_error(f.code + ": " + f.message);
}

}  // namespace im2k::mc
