// Placeholder until the spf area lands; keeps the library non-empty.
namespace im2k::spf {}
