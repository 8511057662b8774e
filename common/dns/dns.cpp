// Placeholder until the dns area lands; keeps the library non-empty.
namespace im2k::dns {}
