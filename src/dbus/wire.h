// D-Bus wire format (little-endian writer, either-endian reader): values typed by their
// signature, and whole messages (fixed header, the a(yv) header fields, the body). Pure:
// bytes in, bytes out, no I/O. Just what the systemd cgroup driver needs: the basic types
// y b n q i u x t s o g, arrays, structs, dict entries and variants.
//
//   Message m = method_call("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
//                           "org.freedesktop.systemd1.Manager", "StopUnit");
//   m.body = {Value::string("x.scope"), Value::string("replace")};
//   m.serial = 2;
//   std::string bytes = encode(m);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace arca::dbus {

// One value and its complete single-type signature: "u", "s", "as", "(sv)", "a(sv)", "v".
struct Value {
  std::string sig;
  uint64_t num = 0;          // y b n q i u x t (signed types sign-extended)
  std::string str;           // s o g
  std::vector<Value> items;  // array elements, struct/dict-entry fields, a variant's value

  static Value byte(uint8_t v) { return {"y", v, {}, {}}; }
  static Value boolean(bool v) { return {"b", v ? 1u : 0u, {}, {}}; }
  static Value u32(uint32_t v) { return {"u", v, {}, {}}; }
  static Value u64(uint64_t v) { return {"t", v, {}, {}}; }
  static Value string(std::string v) { return {"s", 0, std::move(v), {}}; }
  static Value object_path(std::string v) { return {"o", 0, std::move(v), {}}; }
  static Value signature(std::string v) { return {"g", 0, std::move(v), {}}; }
  static Value variant(Value inner) { return {"v", 0, {}, {std::move(inner)}}; }
  // `element_sig` is the elements' signature, needed when `items` is empty.
  static Value array(const std::string& element_sig, std::vector<Value> items) {
    return {"a" + element_sig, 0, {}, std::move(items)};
  }
  static Value structure(std::vector<Value> fields);
};

// The end (exclusive) of the complete type starting at sig[pos], or an error.
Result<size_t> complete_type_end(std::string_view sig, size_t pos);

// Appends `v` to `out` (aligned relative to out's start); fails on a malformed value.
Status marshal(const Value& v, std::string& out);
// Reads one value of type `sig` from `data` at `pos` (advanced); `little` is the byte order.
Result<Value> unmarshal(std::string_view sig, std::string_view data, size_t& pos, bool little);

enum class Type : uint8_t { kInvalid = 0, kCall = 1, kReturn = 2, kError = 3, kSignal = 4 };
inline constexpr uint8_t kNoReplyExpected = 0x1;

struct Message {
  Type type = Type::kInvalid;
  uint8_t flags = 0;
  uint32_t serial = 0;
  uint32_t reply_serial = 0;  // 0: absent
  std::string path, interface, member, error_name, destination, sender;
  std::vector<Value> body;  // the body's signature is the concatenation of their sigs

  std::string body_signature() const;
  // The first string argument, as error replies carry their text; "" when absent.
  std::string first_string() const;
};

Message method_call(std::string destination, std::string path, std::string interface,
                    std::string member);

Result<std::string> encode(const Message& m);
// How many bytes the message starting `data` takes, once at least 16 bytes are there;
// 0 when fewer. Fails on a header that cannot start a message.
Result<size_t> message_size(std::string_view data);
// Decodes exactly one message spanning all of `data`.
Result<Message> decode(std::string_view data);

}  // namespace arca::dbus
