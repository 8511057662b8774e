// Placeholder until the tls area lands; keeps the library non-empty.
namespace im2k::tls {}
