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
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace arca
