#include "security/seccomp_tables.h"

#include <linux/seccomp.h>

#include <array>
#include <string>
#include <vector>

#include "security/seccomp.h"

namespace arca::security {
namespace seccomp_tables {
namespace {

constexpr std::array kActions = {
    Action{"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    Action{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    Action{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    Action{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    Action{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    Action{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    Action{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    Action{"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    Action{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

constexpr std::array kOperators = {
    Operator{"SCMP_CMP_NE", SCMP_CMP_NE},
    Operator{"SCMP_CMP_LT", SCMP_CMP_LT},
    Operator{"SCMP_CMP_LE", SCMP_CMP_LE},
    Operator{"SCMP_CMP_EQ", SCMP_CMP_EQ},
    Operator{"SCMP_CMP_GE", SCMP_CMP_GE},
    Operator{"SCMP_CMP_GT", SCMP_CMP_GT},
    Operator{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// Every architecture the runtime-spec names that libseccomp 2.5.4 can generate code for.
constexpr std::array kArchs = {
    Arch{"SCMP_ARCH_X86", SCMP_ARCH_X86},
    Arch{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    Arch{"SCMP_ARCH_X32", SCMP_ARCH_X32},
    Arch{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    Arch{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    Arch{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    Arch{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    Arch{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    Arch{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    Arch{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    Arch{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    Arch{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    Arch{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    Arch{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    Arch{"SCMP_ARCH_S390", SCMP_ARCH_S390},
    Arch{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    Arch{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    Arch{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    Arch{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr std::array kFlags = {
    Flag{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    Flag{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    Flag{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    Flag{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <typename T, std::size_t N>
const T* find(const std::array<T, N>& table, std::string_view name) {
  for (const T& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

template <typename T, std::size_t N>
std::vector<std::string> names(const std::array<T, N>& table) {
  std::vector<std::string> out;
  out.reserve(N);
  for (const T& entry : table) out.emplace_back(entry.name);
  return out;
}

}  // namespace

std::span<const Action> actions() { return kActions; }
std::span<const Operator> operators() { return kOperators; }
std::span<const Arch> archs() { return kArchs; }
std::span<const Flag> flags() { return kFlags; }

const Action* find_action(std::string_view name) { return find(kActions, name); }
const Operator* find_operator(std::string_view name) { return find(kOperators, name); }
const Arch* find_arch(std::string_view name) { return find(kArchs, name); }
const Flag* find_flag(std::string_view name) { return find(kFlags, name); }

}  // namespace seccomp_tables

std::vector<std::string> seccomp_action_names() {
  return seccomp_tables::names(seccomp_tables::kActions);
}
std::vector<std::string> seccomp_operator_names() {
  return seccomp_tables::names(seccomp_tables::kOperators);
}
std::vector<std::string> seccomp_arch_names() {
  return seccomp_tables::names(seccomp_tables::kArchs);
}
std::vector<std::string> seccomp_flag_names() {
  return seccomp_tables::names(seccomp_tables::kFlags);
}

}  // namespace arca::security
