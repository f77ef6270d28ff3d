#include "cgroups/device_policy.h"

#include <algorithm>
#include <climits>

#include "base/text.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

bool same_device(const DeviceException& a, const DeviceException& b) {
  return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

std::vector<DeviceException>::iterator find_same(std::vector<DeviceException>& list,
                                                 const DeviceException& ex) {
  return std::find_if(list.begin(), list.end(),
                      [&](const DeviceException& e) { return same_device(e, ex); });
}

std::string access_letters(uint32_t bits) {
  std::string out;
  if (bits & kAccessRead) out += 'r';
  if (bits & kAccessWrite) out += 'w';
  if (bits & kAccessMknod) out += 'm';
  return out;
}

// "c 1:3 rw", the v1 syntax of one exception (or part of its access).
std::string exception_line(const DeviceException& ex, uint32_t access) {
  auto number = [](const std::optional<int64_t>& n) { return n ? std::to_string(*n) : "*"; };
  return std::string(1, ex.type) + " " + number(ex.major) + ":" + number(ex.minor) + " " +
         access_letters(access);
}

// --- eBPF emission -----------------------------------------------------------------------
// Registers after the prologue: r2 device type, r3 requested access, r4 major, r5 minor.

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_word(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
bpf_insn return_value(int32_t v) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, v); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

bool fits(const std::optional<int64_t>& n) { return !n || (*n >= 0 && *n <= INT32_MAX); }

// One exception: tests that jump past the block when the access is not this exception's,
// then "return the opposite of the default".
void emit_exception(const DeviceException& ex, bool default_allow, std::vector<bpf_insn>* out) {
  std::vector<bpf_insn> tests;  // jump offsets filled in below
  tests.push_back(jump_imm(BPF_JNE, BPF_REG_2, ex.type == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                              : BPF_DEVCG_DEV_CHAR, 0));
  if (ex.access != kAccessAll) {
    tests.push_back(mov32_reg(BPF_REG_1, BPF_REG_3));
    tests.push_back(alu32_imm(BPF_AND, BPF_REG_1, static_cast<int32_t>(ex.access)));
    // Deny default: the exception must hold every requested bit (r1 == r3). Allow
    // default: it refuses as soon as it shares one (r1 != 0).
    tests.push_back(default_allow ? jump_imm(BPF_JEQ, BPF_REG_1, 0, 0)
                                  : jump_reg(BPF_JNE, BPF_REG_1, BPF_REG_3, 0));
  }
  if (ex.major) tests.push_back(jump_imm(BPF_JNE, BPF_REG_4, static_cast<int32_t>(*ex.major), 0));
  if (ex.minor) tests.push_back(jump_imm(BPF_JNE, BPF_REG_5, static_cast<int32_t>(*ex.minor), 0));
  const int16_t block = static_cast<int16_t>(tests.size() + 2);  // + return + exit
  for (size_t i = 0; i < tests.size(); ++i) {
    if (BPF_CLASS(tests[i].code) == BPF_JMP) tests[i].off = static_cast<int16_t>(block - i - 1);
  }
  out->insert(out->end(), tests.begin(), tests.end());
  out->push_back(return_value(default_allow ? 0 : 1));
  out->push_back(exit_insn());
}

}  // namespace

uint32_t access_bits(const std::string& rwm) {
  uint32_t bits = 0;
  for (char c : rwm) {
    if (c == 'r') bits |= kAccessRead;
    if (c == 'w') bits |= kAccessWrite;
    if (c == 'm') bits |= kAccessMknod;
  }
  return bits;
}

DevicePolicy apply_device_rules(DevicePolicy policy, const std::vector<DeviceRule>& rules) {
  for (const auto& rule : rules) {
    if (rule.type == 'a') {
      policy.default_allow = rule.allow;
      policy.exceptions.clear();
      continue;
    }
    DeviceException ex{rule.type, rule.major, rule.minor, access_bits(rule.access)};
    auto it = find_same(policy.exceptions, ex);
    if (rule.allow != policy.default_allow) {
      if (it == policy.exceptions.end()) {
        policy.exceptions.push_back(ex);
      } else {
        it->access |= ex.access;
      }
    } else if (it != policy.exceptions.end()) {
      it->access &= ~ex.access;
      if (it->access == 0) policy.exceptions.erase(it);
    }
  }
  return policy;
}

DevicePolicy device_policy(const std::vector<DeviceRule>& rules) {
  Resources r;
  r.devices = rules;
  return apply_device_rules(DevicePolicy{}, device_rules(r));
}

bool device_allowed(const DevicePolicy& policy, char type, uint32_t major, uint32_t minor,
                    uint32_t access) {
  for (const auto& ex : policy.exceptions) {
    if (ex.type != type) continue;
    if (ex.major && *ex.major != major) continue;
    if (ex.minor && *ex.minor != minor) continue;
    if (policy.default_allow ? (access & ex.access) != 0 : (access & ~ex.access) == 0) {
      return !policy.default_allow;
    }
  }
  return policy.default_allow;
}

std::vector<bpf_insn> device_program(const DevicePolicy& policy) {
  std::vector<bpf_insn> out = {
      load_word(BPF_REG_2, 0),               // access_type
      alu32_imm(BPF_AND, BPF_REG_2, 0xffff),  // low half: BPF_DEVCG_DEV_*
      load_word(BPF_REG_3, 0),
      alu32_imm(BPF_RSH, BPF_REG_3, 16),  // high half: BPF_DEVCG_ACC_*
      load_word(BPF_REG_4, 4),            // major
      load_word(BPF_REG_5, 8),            // minor
  };
  for (const auto& ex : policy.exceptions) {
    if (fits(ex.major) && fits(ex.minor)) emit_exception(ex, policy.default_allow, &out);
  }
  out.push_back(return_value(policy.default_allow ? 1 : 0));
  out.push_back(exit_insn());
  return out;
}

Result<DevicePolicy> parse_devices_list(const std::string& text) {
  DevicePolicy policy;
  policy.default_allow = false;  // v1 lists the exceptions of a deny default, nothing else
  for (const auto& line : text::lines(text)) {
    if (line.empty()) continue;
    auto fields = text::words(line);
    if (fields.size() != 3) return Error::invalid("devices.list: malformed line " + quote(line));
    const std::string &type = fields[0], &numbers = fields[1], &access = fields[2];
    size_t colon;
    if (type.size() != 1 ||
        std::string("abc").find(type[0]) == std::string::npos ||
        (colon = numbers.find(':')) == std::string::npos) {
      return Error::invalid("devices.list: malformed line " + quote(line));
    }
    if (type == "a") return DevicePolicy{};  // "a *:* rwm": allow-all
    auto number = [](const std::string& s) -> std::optional<int64_t> {
      if (s == "*") return std::nullopt;
      return std::stoll(s);
    };
    std::string major = numbers.substr(0, colon), minor = numbers.substr(colon + 1);
    auto digits = [](const std::string& s) {
      return s == "*" || (!s.empty() && s.size() < 12 &&
                          s.find_first_not_of("0123456789") == std::string::npos);
    };
    if (!digits(major) || !digits(minor)) {
      return Error::invalid("devices.list: malformed line " + quote(line));
    }
    policy.exceptions.push_back({type[0], number(major), number(minor), access_bits(access)});
  }
  return policy;
}

Result<std::vector<Write>> device_transition(const std::string& devices_list,
                                             const DevicePolicy& target) {
  ARCA_ASSIGN(DevicePolicy current, parse_devices_list(devices_list));
  std::vector<Write> out;
  // An exception goes against the default: devices.deny under an allow default.
  const char* against = target.default_allow ? "devices.deny" : "devices.allow";
  const char* along = target.default_allow ? "devices.allow" : "devices.deny";
  if (current.default_allow || target.default_allow) {
    // Either the current exceptions are unknown or the target's are denials, which only a
    // reset can make exact.
    out.push_back({"devices", along, "a"});
    for (const auto& ex : target.exceptions) {
      out.push_back({"devices", against, exception_line(ex, ex.access)});
    }
    return out;
  }
  for (const auto& want : target.exceptions) {
    auto it = find_same(current.exceptions, want);
    uint32_t missing = want.access & ~(it == current.exceptions.end() ? 0 : it->access);
    if (missing != 0) out.push_back({"devices", against, exception_line(want, missing)});
  }
  std::vector<DeviceException> wanted = target.exceptions;
  for (const auto& have : current.exceptions) {
    auto it = find_same(wanted, have);
    uint32_t surplus = have.access & ~(it == wanted.end() ? 0 : it->access);
    if (surplus != 0) out.push_back({"devices", along, exception_line(have, surplus)});
  }
  return out;
}

}  // namespace arca::cgroups
