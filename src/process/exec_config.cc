#include "process/exec_config.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "linux/syscalls.h"

namespace arca::process {

namespace {
constexpr const char* kName = "config.json";
}

Status save_config_copy(int state_dir_fd, std::string_view text) {
  UniqueFd fd(openat(state_dir_fd, kName, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error::os("save config.json in the state dir");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("save config.json in the state dir");
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> load_config_copy(const std::string& state_dir) {
  return linux_sys::read_file(state_dir + "/" + kName);
}

}  // namespace arca::process
