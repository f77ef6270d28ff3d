// Device rules: v1's semantics (apply_device_rules, device_allowed), the eBPF program that
// must decide exactly as v1 does (run here by a small interpreter of the instructions it
// uses), and the v1 transitions `update` writes.
#include <gtest/gtest.h>

#include <random>

#include "cgroups/container_resources.h"
#include "cgroups/device_policy.h"

namespace arca::cgroups {
namespace {

constexpr uint64_t kCtxTag = 0xc0de0000c7c7ULL;  // r1 holds "the context" until overwritten

// Runs `prog` on a struct bpf_cgroup_dev_ctx; fails the test on anything the device
// programs must not contain (unknown opcodes, backward or out-of-range jumps).
int run(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
        uint32_t access) {
  const uint32_t ctx[3] = {
      (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major, minor};
  uint64_t r[11] = {};
  r[1] = kCtxTag;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    auto jump = [&](bool taken) {
      EXPECT_GE(i.off, 0) << "backward jump at " << pc;
      if (taken) pc += i.off;
      EXPECT_LT(pc + 1, prog.size()) << "jump out of the program at " << pc;
    };
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        EXPECT_EQ(r[i.src_reg], kCtxTag) << "load from a non-context register at " << pc;
        EXPECT_TRUE(i.off >= 0 && i.off <= 8 && i.off % 4 == 0) << "bad context offset";
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) & static_cast<uint32_t>(i.imm);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        jump(r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        jump(r[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case BPF_JMP | BPF_JNE | BPF_X:
        jump(r[i.dst_reg] != r[i.src_reg]);
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code) << " at " << pc;
        return -1;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return -1;
}

DeviceRule rule(bool allow, char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                const char* access) {
  return DeviceRule{allow, type, major, minor, access};
}

const uint32_t kR = kAccessRead, kW = kAccessWrite, kM = kAccessMknod;

// Every (type, major, minor, access) the policies below can tell apart, checked three ways.
void expect_program_matches_v1(const DevicePolicy& p) {
  auto prog = device_program(p);
  for (char type : {'b', 'c'}) {
    for (uint32_t major : {0u, 1u, 5u, 7u, 8u, 136u}) {
      for (uint32_t minor : {0u, 1u, 2u, 3u, 9u}) {
        for (uint32_t access = 1; access <= kAccessAll; ++access) {
          bool want = device_allowed(p, type, major, minor, access);
          ASSERT_EQ(run(prog, type, major, minor, access), want ? 1 : 0)
              << type << " " << major << ":" << minor << " access " << access;
        }
      }
    }
  }
}

TEST(DevicePolicy, DenyAllThenAllows) {
  DevicePolicy p = device_policy({rule(true, 'c', 1, 3, "rwm"), rule(true, 'c', 136, {}, "rw")});
  EXPECT_FALSE(p.default_allow);
  ASSERT_EQ(p.exceptions.size(), 2u);
  EXPECT_EQ(p.exceptions[1], (DeviceException{'c', 136, std::nullopt, kR | kW}));
  EXPECT_TRUE(device_allowed(p, 'c', 1, 3, kR | kW));
  EXPECT_FALSE(device_allowed(p, 'b', 1, 3, kR));       // type matters
  EXPECT_TRUE(device_allowed(p, 'c', 136, 7, kR | kW));  // minor wildcard
  EXPECT_FALSE(device_allowed(p, 'c', 136, 7, kM));      // needs every requested bit
  EXPECT_FALSE(device_allowed(p, 'c', 1, 5, kR));
  expect_program_matches_v1(p);
}

TEST(DevicePolicy, V1MergesAndRemovesExactMatchesOnly) {
  // Two allows of one device merge; so "rw" needs no single rule holding both.
  DevicePolicy p = device_policy({rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "w")});
  ASSERT_EQ(p.exceptions.size(), 1u);
  EXPECT_TRUE(device_allowed(p, 'c', 1, 3, kR | kW));
  // A deny under a deny default takes access away from the same device only...
  p = device_policy({rule(true, 'c', 1, 3, "rwm"), rule(false, 'c', 1, 3, "w")});
  EXPECT_EQ(p.exceptions, (std::vector<DeviceException>{{'c', 1, 3, kR | kM}}));
  EXPECT_FALSE(device_allowed(p, 'c', 1, 3, kW));
  // ...not from a device a wildcard would cover: v1 keeps c 1:3 here.
  p = device_policy({rule(true, 'c', 1, 3, "rwm"), rule(false, 'c', {}, {}, "rwm")});
  EXPECT_TRUE(device_allowed(p, 'c', 1, 3, kR));
  // Removing all access removes the exception.
  p = device_policy({rule(true, 'c', 1, 3, "rw"), rule(false, 'c', 1, 3, "rwm")});
  EXPECT_TRUE(p.exceptions.empty());
  expect_program_matches_v1(p);
}

TEST(DevicePolicy, TypeAResetsWhateverItsNumbers) {
  DevicePolicy p = device_policy({rule(true, 'c', 1, 3, "rwm"), rule(true, 'a', 1, 3, "r")});
  EXPECT_TRUE(p.default_allow);
  EXPECT_TRUE(p.exceptions.empty());
  // Under an allow default, exceptions deny as soon as they share one requested bit.
  p = apply_device_rules(p, {rule(false, 'b', 8, {}, "w"), rule(false, 'c', 1, 5, "rwm")});
  EXPECT_FALSE(device_allowed(p, 'b', 8, 1, kR | kW));
  EXPECT_TRUE(device_allowed(p, 'b', 8, 1, kR | kM));
  EXPECT_FALSE(device_allowed(p, 'c', 1, 5, kM));
  EXPECT_TRUE(device_allowed(p, 'c', 1, 3, kR | kW | kM));
  expect_program_matches_v1(p);
  // An allow under an allow default removes a denial again.
  p = apply_device_rules(p, {rule(true, 'b', 8, {}, "w")});
  EXPECT_TRUE(device_allowed(p, 'b', 8, 1, kW));
  EXPECT_TRUE(device_policy({rule(false, 'a', {}, {}, "rwm")}).exceptions.empty());
}

TEST(DevicePolicy, DefaultsKeepTheSuppliedDevicesUsable) {
  // runc spec's allowlist ("deny everything") plus the defaults every container gets.
  std::vector<DeviceRule> rules = {rule(false, 'a', {}, {}, "rwm")};
  for (auto& r : default_device_rules({})) rules.push_back(r);
  DevicePolicy p = device_policy(rules);
  EXPECT_TRUE(device_allowed(p, 'c', 1, 3, kR | kW));    // /dev/null
  EXPECT_TRUE(device_allowed(p, 'c', 136, 4, kR | kW));  // a pty
  EXPECT_TRUE(device_allowed(p, 'c', 1, 1, kM));         // mknod of /dev/mem works...
  EXPECT_FALSE(device_allowed(p, 'c', 1, 1, kR));        // ...opening it does not
  EXPECT_FALSE(device_allowed(p, 'b', 8, 0, kR | kW));
  expect_program_matches_v1(p);
}

TEST(DevicePolicy, DefaultsGiveWayToConfiguredNodes) {
  auto all = default_device_rules({});
  auto fewer = default_device_rules({"/dev/null", "/dev/fuse"});
  EXPECT_EQ(all.size(), 10u);
  ASSERT_EQ(fewer.size(), 9u);
  for (const auto& r : fewer) EXPECT_NE(r.to_string(), "c 1:3 rwm");
  EXPECT_EQ(all[0].to_string(), "c *:* m");
  EXPECT_EQ(all[8].to_string(), "c 136:* rwm");
}

TEST(DevicePolicy, ProgramShape) {
  // Prologue (6), one block per exception, the default (2). A full-access exception needs
  // no access test; wildcards no number test.
  DevicePolicy p{false, {{'c', 1, 3, kAccessAll}, {'b', std::nullopt, std::nullopt, kM}}};
  auto prog = device_program(p);
  EXPECT_EQ(prog.size(), 6u + (1 + 2 + 2) + (1 + 3 + 2) + 2u);
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(prog[prog.size() - 2].imm, 0);  // deny by default
  // A number no device can have is left out rather than truncated into a real one.
  DevicePolicy huge{false, {{'c', int64_t{1} << 32 | 3, 3, kAccessAll}}};
  EXPECT_EQ(device_program(huge).size(), 8u);
  expect_program_matches_v1(huge);
}

TEST(DevicePolicy, RandomRuleListsDecideAsV1) {
  std::mt19937 gen(20240611);
  auto pick = [&](int n) { return static_cast<int>(gen() % static_cast<unsigned>(n)); };
  const char* accesses[] = {"r", "w", "m", "rw", "rm", "wm", "rwm"};
  for (int round = 0; round < 300; ++round) {
    std::vector<DeviceRule> rules;
    int n = pick(8);
    for (int i = 0; i < n; ++i) {
      char type = "abcc"[pick(4)];
      std::optional<int64_t> major, minor;
      if (pick(3) > 0) major = std::vector<int64_t>{1, 5, 136}[pick(3)];
      if (pick(3) > 0) minor = std::vector<int64_t>{0, 3, 9}[pick(3)];
      rules.push_back(rule(pick(2) == 0, type, major, minor, accesses[pick(7)]));
    }
    DevicePolicy p = apply_device_rules(DevicePolicy{pick(2) == 0, {}}, rules);
    SCOPED_TRACE("round " + std::to_string(round));
    expect_program_matches_v1(p);
    if (HasFatalFailure()) return;
  }
}

TEST(DevicePolicy, ParseDevicesList) {
  auto allow_all = parse_devices_list("a *:* rwm\n");
  ASSERT_TRUE(allow_all);
  EXPECT_EQ(*allow_all, DevicePolicy{});
  auto some = parse_devices_list("c 1:3 rwm\nc 136:* rw\nb *:* m\n");
  ASSERT_TRUE(some);
  EXPECT_FALSE(some->default_allow);
  EXPECT_EQ(some->exceptions, (std::vector<DeviceException>{{'c', 1, 3, kAccessAll},
                                                            {'c', 136, std::nullopt, kR | kW},
                                                            {'b', std::nullopt, std::nullopt, kM}}));
  auto none = parse_devices_list("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->default_allow);
  EXPECT_FALSE(parse_devices_list("x 1:3 rwm\n"));
  EXPECT_FALSE(parse_devices_list("c 1-3 rwm\n"));
  EXPECT_FALSE(parse_devices_list("c 1:z rwm\n"));
}

TEST(DevicePolicy, TransitionAddsBeforeItRemoves) {
  DevicePolicy target = device_policy({rule(true, 'c', 1, 3, "rwm"), rule(true, 'c', 1, 5, "r")});
  auto w = device_transition("c 1:3 rw\nc 1:9 rwm\n", target);
  ASSERT_TRUE(w) << w.error().render();
  std::vector<Write> want = {{"devices", "devices.allow", "c 1:3 m"},
                             {"devices", "devices.allow", "c 1:5 r"},
                             {"devices", "devices.deny", "c 1:9 rwm"}};
  EXPECT_EQ(*w, want);
  // Nothing to change: nothing written.
  w = device_transition("c 1:3 rwm\nc 1:5 r\n", target);
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->empty());
  // Applying the writes to the current policy gives the target.
  DevicePolicy now = *parse_devices_list("c 1:3 rw\nc 1:9 rwm\n");
  std::vector<Write> writes = w ? *device_transition("c 1:3 rw\nc 1:9 rwm\n", target)
                                : std::vector<Write>{};
  for (const auto& x : writes) {
    std::string t = x.value;
    bool allow = x.file == "devices.allow";
    auto colon = t.find(':');
    auto space = t.find(' ', colon);
    now = apply_device_rules(now, {rule(allow, t[0], std::stoll(t.substr(2, colon - 2)),
                                        std::stoll(t.substr(colon + 1, space - colon - 1)),
                                        t.substr(space + 1).c_str())});
  }
  EXPECT_EQ(now, target);
}

TEST(DevicePolicy, TransitionResetsWhenTheCurrentRulesAreUnknown) {
  // An allow default does not list its exceptions: reset to the target's default.
  DevicePolicy target = device_policy({rule(true, 'c', 1, 3, "rwm")});
  auto w = device_transition("a *:* rwm\n", target);
  ASSERT_TRUE(w);
  std::vector<Write> want = {{"devices", "devices.deny", "a"},
                             {"devices", "devices.allow", "c 1:3 rwm"}};
  EXPECT_EQ(*w, want);
  DevicePolicy allow_but{true, {{'b', 8, std::nullopt, kW}}};
  w = device_transition("c 1:3 rwm\n", allow_but);
  ASSERT_TRUE(w);
  want = {{"devices", "devices.allow", "a"}, {"devices", "devices.deny", "b 8:* w"}};
  EXPECT_EQ(*w, want);
}

}  // namespace
}  // namespace arca::cgroups
