#include "dbus/wire.h"

#include <cstring>

namespace arca::dbus {
namespace {

constexpr size_t kMaxArray = 64u << 20;     // the spec's limit on an array's bytes
constexpr size_t kMaxMessage = 128u << 20;  // and on a whole message
constexpr int kMaxDepth = 64;

size_t fixed_size(char code) {
  switch (code) {
    case 'y':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'b':
    case 'i':
    case 'u':
      return 4;
    case 'x':
    case 't':
      return 8;
    default:
      return 0;
  }
}

size_t alignment(char code) {
  if (size_t size = fixed_size(code); size != 0) return size;
  if (code == 's' || code == 'o' || code == 'a') return 4;
  return code == '(' || code == '{' ? 8 : 1;
}

void pad(std::string& out, size_t align) {
  while (out.size() % align != 0) out += '\0';
}

void put_uint(std::string& out, uint64_t v, size_t size) {
  pad(out, size);
  for (size_t i = 0; i < size; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

Result<size_t> type_end(std::string_view sig, size_t pos, int depth) {
  if (depth > kMaxDepth) return Error::invalid("D-Bus signature nested too deeply");
  if (pos >= sig.size())
    return Error::invalid("D-Bus signature " + quote(std::string(sig)) + " is incomplete");
  char c = sig[pos];
  if (fixed_size(c) != 0 || c == 's' || c == 'o' || c == 'g' || c == 'v') return pos + 1;
  if (c == 'a') return type_end(sig, pos + 1, depth + 1);
  if (c == '(' || c == '{') {
    char close = c == '(' ? ')' : '}';
    size_t p = pos + 1;
    int fields = 0;
    while (p < sig.size() && sig[p] != close) {
      if (c == '{' && fields == 0 && fixed_size(sig[p]) == 0 && sig[p] != 's' && sig[p] != 'o' &&
          sig[p] != 'g') {
        return Error::invalid("D-Bus signature " + quote(std::string(sig)) +
                              ": dict key not basic");
      }
      ARCA_ASSIGN(p, type_end(sig, p, depth + 1));
      ++fields;
    }
    if (p >= sig.size() || fields == 0 || (c == '{' && fields != 2) ||
        (c == '{' && (pos == 0 || sig[pos - 1] != 'a'))) {
      return Error::invalid("D-Bus signature " + quote(std::string(sig)) + ": bad container");
    }
    return p + 1;
  }
  return Error::invalid("D-Bus signature " + quote(std::string(sig)) + ": unknown type code");
}

std::string field_sigs(const std::vector<Value>& items) {
  std::string s;
  for (const auto& v : items) s += v.sig;
  return s;
}

Status marshal_string(const std::string& s, char code, std::string& out) {
  if (s.find('\0') != std::string::npos) return Error::invalid("D-Bus string holds a NUL byte");
  if (code == 'o' && (s.empty() || s[0] != '/')) {
    return Error::invalid("D-Bus object path " + quote(s) + " does not start with '/'");
  }
  if (code == 'g') {
    if (s.size() > 255) return Error::invalid("D-Bus signature longer than 255 bytes");
    out += static_cast<char>(s.size());
  } else {
    put_uint(out, s.size(), 4);
  }
  out += s;
  out += '\0';
  return {};
}

Status marshal_at(const Value& v, std::string& out, int depth) {
  if (depth > kMaxDepth) return Error::invalid("D-Bus value nested too deeply");
  char c = v.sig.empty() ? '\0' : v.sig[0];
  if (size_t size = fixed_size(c); size != 0) {
    if (c == 'b' && v.num > 1) return Error::invalid("D-Bus boolean other than 0 or 1");
    put_uint(out, v.num, size);
    return {};
  }
  switch (c) {
    case 's':
    case 'o':
    case 'g':
      return marshal_string(v.str, c, out);
    case 'v': {
      if (v.items.size() != 1) return Error::invalid("D-Bus variant without exactly one value");
      ARCA_TRY(marshal_string(v.items[0].sig, 'g', out));
      return marshal_at(v.items[0], out, depth + 1);
    }
    case 'a': {
      std::string element = v.sig.substr(1);
      put_uint(out, 0, 4);
      size_t length_at = out.size() - 4;
      pad(out, alignment(element[0]));
      size_t start = out.size();
      for (const auto& item : v.items) {
        if (item.sig != element) {
          return Error::invalid("D-Bus array of " + element + " holds a " + item.sig);
        }
        ARCA_TRY(marshal_at(item, out, depth + 1));
      }
      size_t length = out.size() - start;
      if (length > kMaxArray) return Error::invalid("D-Bus array longer than 64 MiB");
      for (size_t i = 0; i < 4; ++i) out[length_at + i] = static_cast<char>(length >> (8 * i));
      return {};
    }
    case '(':
    case '{': {
      if (v.sig.substr(1, v.sig.size() - 2) != field_sigs(v.items)) {
        return Error::invalid("D-Bus struct " + v.sig + " holds (" + field_sigs(v.items) + ")");
      }
      pad(out, 8);
      for (const auto& item : v.items) ARCA_TRY(marshal_at(item, out, depth + 1));
      return {};
    }
    default:
      return Error::invalid("D-Bus value of unknown type " + quote(v.sig));
  }
}

// Reads from a byte buffer with bounds checks; padding must be zero.
struct Reader {
  std::string_view data;
  size_t& pos;
  bool little;

  Status align(size_t a) {
    while (pos % a != 0) {
      if (pos >= data.size()) return truncated();
      if (data[pos++] != '\0') return Error::invalid("D-Bus padding is not zero");
    }
    return {};
  }
  static Error truncated() { return Error::invalid("D-Bus message truncated"); }
  Result<uint64_t> uint(size_t size) {
    ARCA_TRY(align(size));
    if (data.size() - pos < size || pos > data.size()) return truncated();
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) {
      auto byte = static_cast<uint8_t>(data[pos + i]);
      v |= static_cast<uint64_t>(byte) << (8 * (little ? i : size - 1 - i));
    }
    pos += size;
    return v;
  }
  Result<std::string> string(char code) {
    uint64_t len = 0;
    if (code == 'g') {
      ARCA_ASSIGN(len, uint(1));
    } else {
      ARCA_ASSIGN(len, uint(4));
    }
    if (pos > data.size() || data.size() - pos < len + 1) return truncated();
    std::string s(data.substr(pos, len));
    if (data[pos + len] != '\0' || s.find('\0') != std::string::npos) {
      return Error::invalid("D-Bus string is not NUL-terminated or holds a NUL byte");
    }
    pos += len + 1;
    if (code == 'o' && (s.empty() || s[0] != '/')) {
      return Error::invalid("D-Bus object path " + quote(s) + " does not start with '/'");
    }
    return s;
  }
  Result<Value> value(std::string_view sig, int depth);
};

Result<Value> Reader::value(std::string_view sig, int depth) {
  if (depth > kMaxDepth) return Error::invalid("D-Bus value nested too deeply");
  Value v;
  v.sig = std::string(sig);
  char c = sig[0];
  if (size_t size = fixed_size(c); size != 0) {
    ARCA_ASSIGN(v.num, uint(size));
    if (c == 'b' && v.num > 1) return Error::invalid("D-Bus boolean other than 0 or 1");
    if (c == 'n' || c == 'i') {  // sign-extend
      uint64_t bit = uint64_t{1} << (8 * size - 1);
      v.num = (v.num ^ bit) - bit;
    }
    return v;
  }
  switch (c) {
    case 's':
    case 'o':
    case 'g': {
      ARCA_ASSIGN(v.str, string(c));
      return v;
    }
    case 'v': {
      ARCA_ASSIGN(std::string inner, string('g'));
      auto end = type_end(inner, 0, depth);
      if (!end || *end != inner.size()) {
        return Error::invalid("D-Bus variant signature " + quote(inner) + " is not one type");
      }
      ARCA_ASSIGN(Value item, value(inner, depth + 1));
      v.items.push_back(std::move(item));
      return v;
    }
    case 'a': {
      ARCA_ASSIGN(uint64_t len, uint(4));
      if (len > kMaxArray) return Error::invalid("D-Bus array longer than 64 MiB");
      ARCA_TRY(align(alignment(sig[1])));
      if (pos > data.size() || data.size() - pos < len) return truncated();
      size_t end = pos + len;
      while (pos < end) {
        ARCA_ASSIGN(Value item, value(sig.substr(1), depth + 1));
        v.items.push_back(std::move(item));
      }
      if (pos != end) return Error::invalid("D-Bus array element crosses the array's end");
      return v;
    }
    default: {  // '(' or '{', the signature already checked by the caller
      ARCA_TRY(align(8));
      size_t p = 1;
      while (p + 1 < sig.size()) {
        ARCA_ASSIGN(size_t end, type_end(sig, p, depth + 1));
        ARCA_ASSIGN(Value item, value(sig.substr(p, end - p), depth + 1));
        v.items.push_back(std::move(item));
        p = end;
      }
      return v;
    }
  }
}

Value header_field(uint8_t code, Value value) {
  return Value::structure({Value::byte(code), Value::variant(std::move(value))});
}

}  // namespace

Value Value::structure(std::vector<Value> fields) {
  return {"(" + field_sigs(fields) + ")", 0, {}, std::move(fields)};
}

Result<size_t> complete_type_end(std::string_view sig, size_t pos) { return type_end(sig, pos, 0); }

Status marshal(const Value& v, std::string& out) {
  auto end = type_end(v.sig, 0, 0);
  if (!end || *end != v.sig.size()) {
    return Error::invalid("D-Bus value signature " + quote(v.sig) + " is not one type");
  }
  return marshal_at(v, out, 0);
}

Result<Value> unmarshal(std::string_view sig, std::string_view data, size_t& pos, bool little) {
  auto end = type_end(sig, 0, 0);
  if (!end || *end != sig.size()) {
    return Error::invalid("D-Bus signature " + quote(std::string(sig)) + " is not one type");
  }
  Reader r{data, pos, little};
  return r.value(sig, 0);
}

std::string Message::body_signature() const { return field_sigs(body); }

std::string Message::first_string() const {
  return !body.empty() && body[0].sig == "s" ? body[0].str : "";
}

Message method_call(std::string destination, std::string path, std::string interface,
                    std::string member) {
  Message m;
  m.type = Type::kCall;
  m.destination = std::move(destination);
  m.path = std::move(path);
  m.interface = std::move(interface);
  m.member = std::move(member);
  return m;
}

Result<std::string> encode(const Message& m) {
  std::string body;
  for (const auto& v : m.body) ARCA_TRY(marshal(v, body));
  std::vector<Value> fields;
  auto add = [&](uint8_t code, const std::string& s, Value (*make)(std::string)) {
    if (!s.empty()) fields.push_back(header_field(code, make(s)));
  };
  add(1, m.path, Value::object_path);
  add(2, m.interface, Value::string);
  add(3, m.member, Value::string);
  add(4, m.error_name, Value::string);
  if (m.reply_serial != 0) fields.push_back(header_field(5, Value::u32(m.reply_serial)));
  add(6, m.destination, Value::string);
  add(7, m.sender, Value::string);
  if (!m.body.empty()) fields.push_back(header_field(8, Value::signature(m.body_signature())));
  std::string out = {'l', static_cast<char>(m.type), static_cast<char>(m.flags), 1};
  put_uint(out, body.size(), 4);
  put_uint(out, m.serial, 4);
  ARCA_TRY(marshal(Value::array("(yv)", std::move(fields)), out));
  pad(out, 8);
  out += body;
  if (out.size() > kMaxMessage) return Error::invalid("D-Bus message longer than 128 MiB");
  return out;
}

Result<size_t> message_size(std::string_view data) {
  if (data.size() < 16) return size_t{0};
  if ((data[0] != 'l' && data[0] != 'B') || data[3] != 1) {
    return Error::invalid("D-Bus message with a bad byte order or protocol version");
  }
  size_t pos = 4;
  Reader r{data, pos, data[0] == 'l'};
  ARCA_ASSIGN(uint64_t body, r.uint(4));
  pos = 12;
  ARCA_ASSIGN(uint64_t fields, r.uint(4));
  if (body > kMaxMessage || fields > kMaxArray) {
    return Error::invalid("D-Bus message longer than 128 MiB");
  }
  size_t header = (16 + fields + 7) / 8 * 8;
  return header + body;
}

Result<Message> decode(std::string_view data) {
  ARCA_ASSIGN(size_t size, message_size(data));
  if (size == 0 || size != data.size()) return Error::invalid("D-Bus message truncated");
  Message m;
  m.type = static_cast<Type>(data[1]);
  if (data[1] < 1 || data[1] > 4) return Error::invalid("D-Bus message of unknown type");
  m.flags = static_cast<uint8_t>(data[2]);
  bool little = data[0] == 'l';
  size_t pos = 8;
  Reader r{data, pos, little};
  ARCA_ASSIGN(uint64_t serial, r.uint(4));
  if (serial == 0) return Error::invalid("D-Bus message with serial 0");
  m.serial = static_cast<uint32_t>(serial);
  ARCA_ASSIGN(Value fields, unmarshal("a(yv)", data, pos, little));
  std::string signature;
  for (const auto& f : fields.items) {
    const Value& v = f.items[1].items[0];
    uint64_t code = f.items[0].num;
    static const char* const kTypes[] = {"", "o", "s", "s", "s", "u", "s", "s", "g", "u"};
    if (code >= 1 && code <= 9 && v.sig != kTypes[code]) {
      return Error::invalid("D-Bus header field " + std::to_string(code) + " of type " + v.sig);
    }
    std::string* targets[] = {nullptr, &m.path,        &m.interface, &m.member,  &m.error_name,
                              nullptr, &m.destination, &m.sender,    &signature, nullptr};
    if (code == 5) m.reply_serial = static_cast<uint32_t>(v.num);
    if (code <= 9 && targets[code] != nullptr) *targets[code] = v.str;
  }
  ARCA_TRY(r.align(8));
  for (size_t p = 0; p < signature.size();) {
    ARCA_ASSIGN(size_t end, complete_type_end(signature, p));
    ARCA_ASSIGN(Value v,
                unmarshal(std::string_view(signature).substr(p, end - p), data, pos, little));
    m.body.push_back(std::move(v));
    p = end;
  }
  if (pos != data.size()) return Error::invalid("D-Bus body length does not match its signature");
  bool ok =
      (m.type == Type::kCall && !m.path.empty() && !m.member.empty()) ||
      (m.type == Type::kSignal && !m.path.empty() && !m.interface.empty() && !m.member.empty()) ||
      (m.type == Type::kReturn && m.reply_serial != 0) ||
      (m.type == Type::kError && m.reply_serial != 0 && !m.error_name.empty());
  if (!ok) return Error::invalid("D-Bus message lacks a required header field");
  return m;
}

}  // namespace arca::dbus
