#include "base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

namespace arca::log {

namespace {
int g_fd = -1;  // -1: stderr
Format g_format = Format::text;
bool g_debug = false;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "info";
}

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string timestamp() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}
}  // namespace

Result<Format> parse_format(const std::string& name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return Error::invalid("--log-format: unknown format " + quote(name) + " (text or json)");
}

Status configure(const std::string& path, Format format, bool debug) {
  g_format = format;
  g_debug = debug;
  if (path.empty()) return {};
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::os("open log " + quote(path));
  g_fd = fd;
  return {};
}

bool to_file() { return g_fd >= 0; }

void close() {
  if (g_fd >= 0) ::close(g_fd);
  g_fd = -1;
}

void write(Level level, const std::string& message) {
  if (level == Level::debug && !g_debug) return;
  std::string line;
  if (g_format == Format::json) {
    line = "{\"level\":\"" + std::string(level_name(level)) + "\",\"msg\":\"" +
           json_escape(message) + "\",\"time\":\"" + timestamp() + "\"}\n";
  } else {
    line = "time=\"" + timestamp() + "\" level=" + level_name(level) + " msg=\"" +
           json_escape(message) + "\"\n";
  }
  int fd = g_fd >= 0 ? g_fd : STDERR_FILENO;
  // Without a log file, text-format warnings and errors read like the rest of arca's
  // messages on stderr; errors themselves are printed by main, so only log others.
  if (g_fd < 0 && g_format == Format::text) {
    if (level == Level::error) return;
    line = "arca: " + std::string(level_name(level)) + ": " + message + "\n";
  }
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
}

}  // namespace arca::log
