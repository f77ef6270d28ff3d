#include "spec/json_reader.h"

#include <limits>

namespace arca::spec {
namespace {

// Keeps messages one short line whatever nlohmann puts in them.
constexpr std::size_t kMaxReasonLength = 120;

// Turns nlohmann's what() into the part a user can act on:
// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while
// parsing value - invalid literal; last read: 'x'" -> "invalid literal".
std::string short_reason(const std::string& what) {
  std::string reason = what;
  auto at = reason.find("parse error");
  if (at != std::string::npos) {
    auto colon = reason.find(": ", at);
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
  }
  // The echo of the bytes read is often the whole document up to the error (nlohmann only
  // restarts it at some tokens); line and column already say where.
  auto echo = reason.find("; last read:");
  if (echo != std::string::npos) reason.erase(echo);
  if (reason.rfind("syntax error", 0) == 0) {
    auto dash = reason.find(" - ");
    if (dash != std::string::npos) reason = reason.substr(dash + 3);
  }
  if (reason.size() > kMaxReasonLength) reason = reason.substr(0, kMaxReasonLength) + "...";
  return reason;
}

template <typename Int>
Status decode_integer(const json& v, const std::string& ptr, Int* out, const char* what) {
  using Limits = std::numeric_limits<Int>;
  if (v.is_number_unsigned()) {
    auto n = v.get<uint64_t>();
    if (n <= static_cast<uint64_t>(Limits::max())) {
      *out = static_cast<Int>(n);
      return {};
    }
  } else if (v.is_number_integer()) {
    auto n = v.get<int64_t>();
    if (Limits::is_signed && n >= static_cast<int64_t>(Limits::min()) &&
        n <= static_cast<int64_t>(Limits::max())) {
      *out = static_cast<Int>(n);
      return {};
    }
  }
  return json_error(ptr, std::string("must be ") + what);
}

}  // namespace

Error json_error(const std::string& pointer, const std::string& reason) {
  return Error::invalid(pointer.empty() ? reason : pointer + ": " + reason);
}

std::string pointer_token(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      // Not RFC 6901, but a pointer is only shown in one-line messages: escape like JSON.
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

TextPosition text_position(std::string_view text, std::size_t byte) {
  // nlohmann counts a newline as column 0 of the next line; an editor shows it at the end
  // of the line it terminates, which is where a user looks for an unterminated string.
  TextPosition pos;
  if (byte == 0) return pos;
  std::size_t index = byte - 1;  // of the last character read; == size() at end of input
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < index && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  pos.column = index - line_start + 1;
  return pos;
}

Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    TextPosition pos = text_position(text, e.byte);
    return Error::invalid("invalid JSON at line " + std::to_string(pos.line) + ", column " +
                          std::to_string(pos.column) + ": " + short_reason(e.what()));
  } catch (const json::exception& e) {
    return Error::invalid(std::string("invalid JSON: ") + short_reason(e.what()));
  }
}

Status decode(const json& v, const std::string& ptr, std::string* out) {
  if (!v.is_string()) return json_error(ptr, "must be a string");
  *out = v.get<std::string>();
  return {};
}

Status decode(const json& v, const std::string& ptr, bool* out) {
  if (!v.is_boolean()) return json_error(ptr, "must be a boolean");
  *out = v.get<bool>();
  return {};
}

Status decode(const json& v, const std::string& ptr, uint32_t* out) {
  return decode_integer(v, ptr, out, "an unsigned 32-bit integer");
}

Status decode(const json& v, const std::string& ptr, int32_t* out) {
  return decode_integer(v, ptr, out, "a 32-bit integer");
}

Status decode(const json& v, const std::string& ptr, uint64_t* out) {
  return decode_integer(v, ptr, out, "an unsigned 64-bit integer");
}

Status decode(const json& v, const std::string& ptr, int64_t* out) {
  return decode_integer(v, ptr, out, "a 64-bit integer");
}

Status decode(const json& v, const std::string& ptr, std::vector<std::string>* out) {
  if (!v.is_array()) return json_error(ptr, "must be an array of strings");
  std::vector<std::string> items;
  items.reserve(v.size());
  for (const json& item : v) {
    if (!item.is_string()) return json_error(ptr, "must be an array of strings");
    items.push_back(item.get<std::string>());
  }
  *out = std::move(items);
  return {};
}

Result<Reader> Reader::open(const json& value, std::string pointer) {
  if (!value.is_object()) return json_error(pointer, "must be an object");
  return Reader(value, std::move(pointer));
}

const json* Reader::find(const char* key) const {
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

Status Reader::raw_object(const char* key, std::optional<json>* out) const {
  const json* v = find(key);
  if (v == nullptr) return {};
  if (!v->is_object()) return json_error(child(key), "must be an object");
  *out = *v;
  return {};
}

}  // namespace arca::spec
