// libFuzzer harness for the D-Bus wire format (src/dbus/wire.h): arbitrary bytes as a
// message from the peer, which is what the systemd driver reads from its socket.
//
// Fails on: ASan/UBSan reports, an exception, an error that is not one non-empty line,
// a message_size() that disagrees with decode(), and a decoded message that does not
// survive encode -> decode -> encode unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dbus/wire.h"

namespace {

void die(const std::string& what) {
  std::fprintf(stderr, "dbus_fuzzer: %s\n", what.c_str());
  std::abort();
}

void check_error(const arca::Error& e) {
  std::string line = e.render();
  if (line.empty() || line.find('\n') != std::string::npos) {
    die("error does not render to one non-empty line: [" + line + "]");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto need = arca::dbus::message_size(bytes);
  if (!need) check_error(need.error());
  auto m = arca::dbus::decode(bytes);
  if (!m) {
    check_error(m.error());
    return 0;
  }
  if (!need || *need != size) die("decode accepted what message_size measures differently");
  auto once = arca::dbus::encode(*m);
  if (!once) die("a decoded message does not encode: " + once.error().render());
  auto back = arca::dbus::decode(*once);
  if (!back) die("an encoded message does not decode: " + back.error().render());
  auto twice = arca::dbus::encode(*back);
  if (!twice || *twice != *once) die("encode -> decode -> encode changed the bytes");
  return 0;
}
