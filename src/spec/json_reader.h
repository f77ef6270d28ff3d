// Typed reading of nlohmann::json values with JSON-pointer error messages.
//
// Every failure is one line naming where it happened and why, in the user's terms
// ("/process/user/uid: must be an unsigned 32-bit integer"), never a C++ type name, so
// config.json problems can be fixed without reading our source. Nothing here throws.
//
// Decoding is by overloads of decode(value, pointer, out): the scalar ones below, the
// container templates, and one per config struct (found by argument-dependent lookup).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace arca::spec {

using nlohmann::json;

// "pointer: reason", or just the reason for the document root (empty pointer).
Error json_error(const std::string& pointer, const std::string& reason);
// One reference token, escaped per RFC 6901 ("a/b" -> "a~1b").
std::string pointer_token(const std::string& key);

// 1-based line and column of byte `byte` (1-based, as nlohmann's parse_error::byte);
// a newline is the last column of the line it ends.
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 0;
};
TextPosition text_position(std::string_view text, std::size_t byte);

// Parses JSON text; errors read "invalid JSON at line L, column C: <reason>".
Result<json> parse_json(std::string_view text);

Status decode(const json& v, const std::string& ptr, std::string* out);
Status decode(const json& v, const std::string& ptr, bool* out);
Status decode(const json& v, const std::string& ptr, uint32_t* out);
Status decode(const json& v, const std::string& ptr, int32_t* out);
Status decode(const json& v, const std::string& ptr, uint64_t* out);
Status decode(const json& v, const std::string& ptr, int64_t* out);
// Arrays of strings are reported as a whole, the way users think of args and env.
Status decode(const json& v, const std::string& ptr, std::vector<std::string>* out);

template <typename T>
Status decode(const json& v, const std::string& ptr, std::vector<T>* out);
template <typename T>
Status decode(const json& v, const std::string& ptr, std::optional<T>* out);
template <typename T>
Status decode(const json& v, const std::string& ptr, std::map<std::string, T>* out);

// A view of one JSON object. Unknown members are ignored, as the spec requires, and a
// member that is null counts as absent.
class Reader {
 public:
  // Fails with "<pointer>: must be an object" unless `value` is one.
  static Result<Reader> open(const json& value, std::string pointer);

  const std::string& pointer() const { return pointer_; }
  std::string child(const std::string& key) const { return pointer_ + "/" + pointer_token(key); }
  // The member, or nullptr when absent or null.
  const json* find(const char* key) const;
  bool has(const char* key) const { return find(key) != nullptr; }

  // Leaves *out untouched when the member is absent.
  template <typename T>
  Status get(const char* key, T* out) const {
    const json* v = find(key);
    if (v == nullptr) return {};
    return decode(*v, child(key), out);
  }
  // Like get(), but absence is "<pointer>/<key>: is required".
  template <typename T>
  Status require(const char* key, T* out) const {
    if (find(key) == nullptr) return json_error(child(key), "is required");
    return get(key, out);
  }
  // Keeps a member verbatim (sections other layers interpret); it must be an object.
  Status raw_object(const char* key, std::optional<json>* out) const;

 private:
  Reader(const json& value, std::string pointer) : value_(&value), pointer_(std::move(pointer)) {}
  const json* value_;
  std::string pointer_;
};

template <typename T>
Status decode(const json& v, const std::string& ptr, std::vector<T>* out) {
  if (!v.is_array()) return json_error(ptr, "must be an array");
  std::vector<T> items(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    ARCA_TRY(decode(v[i], ptr + "/" + std::to_string(i), &items[i]));
  }
  *out = std::move(items);
  return {};
}

template <typename T>
Status decode(const json& v, const std::string& ptr, std::optional<T>* out) {
  T value{};
  ARCA_TRY(decode(v, ptr, &value));
  *out = std::move(value);
  return {};
}

template <typename T>
Status decode(const json& v, const std::string& ptr, std::map<std::string, T>* out) {
  if (!v.is_object()) return json_error(ptr, "must be an object");
  std::map<std::string, T> items;
  for (const auto& [key, item] : v.items()) {
    ARCA_TRY(decode(item, ptr + "/" + pointer_token(key), &items[key]));
  }
  *out = std::move(items);
  return {};
}

}  // namespace arca::spec
