#include "security/exe_switch.h"

#include <elf.h>
#include <link.h>
#include <linux/prctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/text.h"
#include "linux/syscalls.h"

// The ELF header of the running binary, placed by the linker (static and PIE alike).
extern "C" const ElfW(Ehdr) __ehdr_start;

namespace arca::security {

namespace {

struct Range {
  uintptr_t start = 0;
  uintptr_t end = 0;
};

// The binary's writable PT_LOAD segment in memory, page-rounded: GOT, .data and the
// .bss head, relocated and written since start-up.
Range writable_segment() {
  const auto* eh = &__ehdr_start;
  const auto* ph =
      reinterpret_cast<const ElfW(Phdr)*>(reinterpret_cast<const char*>(eh) + eh->e_phoff);
  uintptr_t bias = 0;
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
      bias = reinterpret_cast<uintptr_t>(eh) - ph[i].p_vaddr;
      break;
    }
  }
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W)) continue;
    uintptr_t start = (bias + ph[i].p_vaddr) & ~(page - 1);
    uintptr_t end = (bias + ph[i].p_vaddr + ph[i].p_memsz + page - 1) & ~(page - 1);
    return {start, end};
  }
  return {};
}

bool parse_hex(const std::string& text, uint64_t* out) {
  char* end = nullptr;
  *out = strtoull(text.c_str(), &end, 16);
  return !text.empty() && *end == '\0';
}

// The copy in the window where the GOT may hold unrelocated entries: no call through it
// (memcpy is an IFUNC), so a plain loop the compiler must not turn into a memcpy call.
void copy_words(volatile uint64_t* to, const volatile uint64_t* from, size_t words) {
  for (size_t i = 0; i < words; ++i) to[i] = from[i];
}

// mm->exe_file := `view`, through PR_SET_MM_MAP: it needs CAP_SYS_ADMIN (or
// CAP_CHECKPOINT_RESTORE) in our user namespace, where PR_SET_MM_EXE_FILE needs
// CAP_SYS_RESOURCE, which container hosts often drop. The map carries the memory layout
// as it is (from /proc/self/stat and the current brk), so only the exe changes.
Status set_exe_file(int view) {
  ARCA_ASSIGN(std::string stat, linux_sys::read_file("/proc/self/stat"));
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) return Error::invalid("/proc/self/stat: no command name");
  auto f = text::words(std::string_view(stat).substr(paren + 1));
  // Field N of proc(5) is f[N - 3]: startcode 26, endcode 27, startstack 28,
  // start_data 45 ... env_end 51.
  if (f.size() < 49) return Error::invalid("/proc/self/stat: too few fields");
  auto field = [&](size_t n) { return strtoull(f[n - 3].c_str(), nullptr, 10); };
  prctl_mm_map map = {};
  map.start_code = field(26);
  map.end_code = field(27);
  map.start_stack = field(28);
  map.start_data = field(45);
  map.end_data = field(46);
  map.start_brk = field(47);
  map.arg_start = field(48);
  map.arg_end = field(49);
  map.env_start = field(50);
  map.env_end = field(51);
  map.brk = static_cast<uint64_t>(syscall(SYS_brk, 0));
  map.auxv = nullptr;
  map.auxv_size = 0;  // left as it is
  map.exe_fd = static_cast<uint32_t>(view);
  if (syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) != 0) {
    return Error::os("prctl PR_SET_MM_MAP (exe_fd)");
  }
  return {};
}

[[noreturn]] void die(const char* what) {
  // Nothing through the GOT or the heap: the process is half remapped.
  static const char prefix[] = "arca: remapping the binary failed: ";
  ssize_t ignored = write(STDERR_FILENO, prefix, sizeof prefix - 1);
  size_t n = 0;
  while (what[n] != '\0') ++n;  // not strlen: an IFUNC
  ignored = write(STDERR_FILENO, what, n);
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  _exit(125);
}

}  // namespace

Result<std::vector<ExeMapping>> exe_mappings(const std::string& maps, const std::string& dev,
                                             uint64_t ino, uintptr_t rw_start, uintptr_t rw_end) {
  std::vector<ExeMapping> found;
  for (const auto& line : text::lines(maps)) {
    // start-end perms offset dev inode [path]
    auto f = text::words(line);
    if (f.size() < 5 || f[3] != dev || f[4] != std::to_string(ino)) continue;
    auto dash = f[0].find('-');
    uint64_t start = 0, end = 0, offset = 0;
    if (dash == std::string::npos || !parse_hex(f[0].substr(0, dash), &start) ||
        !parse_hex(f[0].substr(dash + 1), &end) || !parse_hex(f[2], &offset) || f[1].size() != 4) {
      return Error::invalid("/proc/self/maps: cannot parse " + quote(line));
    }
    if (f[1][3] != 'p') return Error::invalid("/proc/self/maps: shared mapping of the binary");
    ExeMapping m;
    m.start = start;
    m.end = end;
    m.offset = offset;
    m.prot = (f[1][0] == 'r' ? PROT_READ : 0) | (f[1][1] == 'w' ? PROT_WRITE : 0) |
             (f[1][2] == 'x' ? PROT_EXEC : 0);
    m.keep_contents = start < rw_end && end > rw_start;
    found.push_back(m);
  }
  return found;
}

Status switch_exe_in_place(int view) {
  struct stat exe;
  if (stat("/proc/self/exe", &exe) != 0) return Error::os("stat /proc/self/exe");
  char dev[16];
  snprintf(dev, sizeof dev, "%02x:%02x", major(exe.st_dev), minor(exe.st_dev));
  ARCA_ASSIGN(std::string maps, linux_sys::read_file("/proc/self/maps"));
  Range rw = writable_segment();
  ARCA_ASSIGN(auto mappings, exe_mappings(maps, dev, exe.st_ino, rw.start, rw.end));
  if (mappings.empty()) return Error::invalid("/proc/self/maps: no mapping of the binary");

  // Everything that can fail harmlessly first: the copies of the writable mappings.
  size_t saved_size = 0;
  for (const auto& m : mappings) {
    if (m.keep_contents) saved_size += m.end - m.start;
  }
  void* saved = MAP_FAILED;
  if (saved_size > 0) {
    saved = mmap(nullptr, saved_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (saved == MAP_FAILED) return Error::os("mmap");
    size_t at = 0;
    for (const auto& m : mappings) {
      if (!m.keep_contents) continue;
      if (!(m.prot & PROT_READ) &&
          mprotect(reinterpret_cast<void*>(m.start), m.end - m.start, m.prot | PROT_READ) != 0) {
        munmap(saved, saved_size);
        return Error::os("mprotect");
      }
      memcpy(static_cast<char*>(saved) + at, reinterpret_cast<void*>(m.start), m.end - m.start);
      at += m.end - m.start;
    }
  }

  // From here on no way back. Code and read-only data: the same file, the same offsets.
  for (const auto& m : mappings) {
    if (m.keep_contents) continue;
    void* at = mmap(reinterpret_cast<void*>(m.start), m.end - m.start, m.prot,
                    MAP_PRIVATE | MAP_FIXED, view, static_cast<off_t>(m.offset));
    if (at == MAP_FAILED) die("mmap of the read-only view");
  }
  // The writable segment: anonymous memory with the contents it had. Until the copy is
  // back, GOT entries may be missing: only direct calls to syscall wrappers.
  size_t from = 0;
  for (const auto& m : mappings) {
    if (!m.keep_contents) continue;
    size_t size = m.end - m.start;
    void* at = mmap(reinterpret_cast<void*>(m.start), size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (at == MAP_FAILED) die("mmap of the writable segment");
    copy_words(reinterpret_cast<volatile uint64_t*>(m.start),
               reinterpret_cast<const volatile uint64_t*>(static_cast<char*>(saved) + from),
               size / sizeof(uint64_t));
    if (mprotect(at, size, m.prot) != 0) die("mprotect of the writable segment");
    from += size;
  }
  if (saved != MAP_FAILED) munmap(saved, saved_size);

  return set_exe_file(view);
}

}  // namespace arca::security
