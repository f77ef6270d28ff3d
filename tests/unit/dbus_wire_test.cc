#include <gtest/gtest.h>

#include <string>

#include "dbus/connection.h"
#include "dbus/wire.h"

namespace arca::dbus {
namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::string bytes_of(const Value& v, size_t offset = 0) {
  std::string out(offset, '\0');
  auto s = marshal(v, out);
  EXPECT_TRUE(s) << s.error().render();
  return out.substr(offset);
}

TEST(DbusWire, BasicTypesAlignAndEncodeLittleEndian) {
  EXPECT_EQ(bytes_of(Value::byte(0x2a)), "\x2a");
  EXPECT_EQ(bytes_of(Value::u32(0x01020304)), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(bytes_of(Value::u32(1), 1), std::string("\0\0\0\1\0\0\0", 7));  // padded to 4
  EXPECT_EQ(bytes_of(Value::u64(1), 4), std::string("\0\0\0\0\1\0\0\0\0\0\0\0", 12));
  EXPECT_EQ(bytes_of(Value::boolean(true)), std::string("\1\0\0\0", 4));
  EXPECT_EQ(bytes_of(Value::string("ab")), std::string("\2\0\0\0ab\0", 7));
  EXPECT_EQ(bytes_of(Value::signature("su")), std::string("\2su\0", 4));
  EXPECT_EQ(bytes_of(Value::variant(Value::byte(7))), std::string("\1y\0\7", 4));
}

TEST(DbusWire, ArraysAndStructs) {
  // au: the length excludes the padding before the first element.
  EXPECT_EQ(bytes_of(Value::array("u", {Value::u32(5), Value::u32(6)})),
            std::string("\x08\0\0\0\5\0\0\0\6\0\0\0", 12));
  // An empty a(sv) still pads to the struct's 8-byte alignment.
  EXPECT_EQ(bytes_of(Value::array("(sv)", {})), std::string("\0\0\0\0\0\0\0\0", 8));
  // a(sv) with one ("D", <b true>): length 4+2(s) +pad... computed by hand:
  // 0: len=16 | 4: pad to 8 | 8: "\1\0\0\0D\0" | 14: sig "\1b\0" | 17: pad | 20: true
  EXPECT_EQ(
      bytes_of(Value::array(
          "(sv)", {Value::structure({Value::string("D"), Value::variant(Value::boolean(true))})})),
      std::string("\x10\0\0\0\0\0\0\0\1\0\0\0D\0\1b\0\0\0\0\1\0\0\0", 24));
}

TEST(DbusWire, MalformedValuesAreRefused) {
  std::string out;
  EXPECT_FALSE(marshal(Value::array("u", {Value::string("x")}), out));
  EXPECT_FALSE(marshal(Value::object_path("relative"), out));
  EXPECT_FALSE(marshal(Value{"b", 2, {}, {}}, out));
  EXPECT_FALSE(marshal(Value{"(s", 0, {}, {}}, out));
  EXPECT_FALSE(complete_type_end("a{vs}", 0));  // dict key must be basic
  EXPECT_FALSE(complete_type_end("{ss}", 0));   // dict entry outside an array
  EXPECT_FALSE(complete_type_end("()", 0));
  EXPECT_FALSE(complete_type_end(std::string(70, 'a') + "u", 0));
}

// A StopUnit call as GLib's GDBusMessage.to_blob() writes it (fields 1,2,6,8,3).
constexpr const char kGdbusStopUnit[] =
    "6c01000118000000070000009900000001016f00190000002f6f72672f667265656465736b746f702f7379"
    "7374656d64310000000000000002017300200000006f72672e667265656465736b746f702e7379737465"
    "6d64312e4d616e61676572000000000000000006017300180000006f72672e667265656465736b746f70"
    "2e73797374656d643100000000000000000801670002737300030173000800000053746f70556e697400"
    "0000000000000007000000612e73636f706500070000007265706c61636500";

// The same call as we write it (fields ascending by code); GDBusMessage.new_from_blob()
// reads it back as the same message.
constexpr const char kOurStopUnit[] =
    "6c0100011800000007000000a000000001016f00190000002f6f72672f667265656465736b746f702f73"
    "797374656d64310000000000000002017300200000006f72672e667265656465736b746f702e73797374"
    "656d64312e4d616e616765720000000000000000030173000800000053746f70556e6974000000000000"
    "000006017300180000006f72672e667265656465736b746f702e73797374656d64310000000000000000"
    "080167000273730007000000612e73636f706500070000007265706c61636500";

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

Message stop_unit() {
  auto m = method_call("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                       "org.freedesktop.systemd1.Manager", "StopUnit");
  m.body = {Value::string("a.scope"), Value::string("replace")};
  m.serial = 7;
  return m;
}

TEST(DbusWire, DecodesWhatGdbusWrites) {
  std::string blob = unhex(kGdbusStopUnit);
  auto size = message_size(blob);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, blob.size());
  auto m = decode(blob);
  ASSERT_TRUE(m) << m.error().render();
  EXPECT_EQ(m->type, Type::kCall);
  EXPECT_EQ(m->serial, 7u);
  EXPECT_EQ(m->path, "/org/freedesktop/systemd1");
  EXPECT_EQ(m->interface, "org.freedesktop.systemd1.Manager");
  EXPECT_EQ(m->member, "StopUnit");
  EXPECT_EQ(m->destination, "org.freedesktop.systemd1");
  EXPECT_EQ(m->body_signature(), "ss");
  EXPECT_EQ(m->body[1].str, "replace");
}

TEST(DbusWire, EncodesTheSameMessage) {
  auto ours = encode(stop_unit());
  ASSERT_TRUE(ours);
  // Same header, body and length as GDBus's; only the order of the header fields differs
  // (ours ascends by code), which the spec leaves free.
  std::string gdbus = unhex(kGdbusStopUnit);
  ASSERT_EQ(ours->size(), gdbus.size());
  EXPECT_EQ(ours->substr(0, 12), gdbus.substr(0, 12));  // the header-field lengths differ
  EXPECT_EQ(hex(*ours), kOurStopUnit);
  EXPECT_EQ(ours->substr(ours->size() - 24), gdbus.substr(gdbus.size() - 24));
  auto back = decode(*ours);
  ASSERT_TRUE(back) << back.error().render();
  EXPECT_EQ(back->member, "StopUnit");
  EXPECT_EQ(back->destination, "org.freedesktop.systemd1");
  EXPECT_EQ(back->first_string(), "a.scope");
}

TEST(DbusWire, RoundTripsStartTransientUnit) {
  auto m = method_call("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                       "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  auto prop = [](const char* name, Value v) {
    return Value::structure({Value::string(name), Value::variant(std::move(v))});
  };
  m.body = {Value::string("arca-c1.scope"), Value::string("replace"),
            Value::array("(sv)", {prop("Delegate", Value::boolean(true)),
                                  prop("PIDs", Value::array("u", {Value::u32(42)})),
                                  prop("MemoryMax", Value::u64(1ull << 40))}),
            Value::array("(sa(sv))", {})};
  m.serial = 3;
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  auto back = decode(*bytes);
  ASSERT_TRUE(back) << back.error().render();
  EXPECT_EQ(back->body_signature(), "ssa(sv)a(sa(sv))");
  const Value& props = back->body[2];
  ASSERT_EQ(props.items.size(), 3u);
  EXPECT_EQ(props.items[1].items[1].items[0].items[0].num, 42u);
  EXPECT_EQ(props.items[2].items[1].items[0].num, 1ull << 40);
  auto again = encode(*back);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *bytes);
}

TEST(DbusWire, ReadsBigEndianAndSignedValues) {
  std::string be("\x01\x02\x03\x04", 4);
  size_t pos = 0;
  auto v = unmarshal("u", be, pos, false);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->num, 0x01020304u);
  std::string minus_one("\xff\xff\xff\xff", 4);
  pos = 0;
  auto i = unmarshal("i", minus_one, pos, true);
  ASSERT_TRUE(i);
  EXPECT_EQ(static_cast<int64_t>(i->num), -1);
}

TEST(DbusWire, MalformedMessagesAreRefused) {
  std::string good = *encode(stop_unit());
  auto refused = [](std::string bytes) {
    auto m = decode(bytes);
    return m ? std::string("accepted") : m.error().render();
  };
  EXPECT_EQ(refused(good.substr(0, good.size() - 1)), "D-Bus message truncated");
  std::string bad = good;
  bad[0] = 'x';
  EXPECT_EQ(refused(bad), "D-Bus message with a bad byte order or protocol version");
  bad = good;
  bad[8] = bad[9] = bad[10] = bad[11] = 0;  // serial 0
  EXPECT_EQ(refused(bad), "D-Bus message with serial 0");
  bad = good;
  bad[bad.size() - 1] = 'x';  // the last string loses its NUL
  EXPECT_EQ(refused(bad), "D-Bus string is not NUL-terminated or holds a NUL byte");
  bad = good;
  bad[4] = static_cast<char>(bad[4] + 8);  // body longer than the message
  EXPECT_EQ(refused(bad), "D-Bus message truncated");
  std::string huge = good;
  huge[12] = huge[13] = huge[14] = huge[15] = '\x7f';  // header fields > 64 MiB
  EXPECT_FALSE(message_size(huge));
  // A bool of 2 inside a body.
  std::string b2("\2\0\0\0", 4);
  size_t pos = 0;
  EXPECT_FALSE(unmarshal("b", b2, pos, true));
  // Non-zero padding.
  std::string padded("\0\0\0\0\7\0\0\0\0\0\0\0", 12);
  padded[1] = 1;
  pos = 1;
  EXPECT_FALSE(unmarshal("u", padded, pos, true));
}

TEST(DbusAddress, SocketPath) {
  EXPECT_EQ(*socket_path("unix:path=/run/x"), "/run/x");
  EXPECT_EQ(*socket_path("/run/systemd/private"), "/run/systemd/private");
  EXPECT_EQ(*socket_path("tcp:host=a;unix:guid=1,path=/b,x=y"), "/b");
  EXPECT_FALSE(socket_path("unix:abstract=/x"));
}

}  // namespace
}  // namespace arca::dbus
