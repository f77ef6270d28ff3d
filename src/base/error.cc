#include "base/error.h"

#include <cstring>

namespace arca {

Error& Error::context(const std::string& what) & {
  message_ = message_.empty() ? what : what + ": " + message_;
  return *this;
}

Error&& Error::context(const std::string& what) && {
  context(what);
  return std::move(*this);
}

std::string Error::render() const {
  if (errno_ == 0) return message_;
  const char* reason = strerror(errno_);
  return message_.empty() ? reason : message_ + ": " + reason;
}

std::string quote(const std::string& s) {
  // Control characters are escaped so a message stays one line whatever the name holds.
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace arca
