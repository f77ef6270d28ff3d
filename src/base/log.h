// runc-style logging: `--log FILE` (default stderr) and `--log-format text|json`.
// containerd's shim reads the JSON lines ({"level","msg","time"}) and shows the last
// error to its user, so every user-facing error is also logged at level "error".
#pragma once

#include <string>

#include "base/error.h"

namespace arca::log {

enum class Level { debug, info, warning, error };
enum class Format { text, json };

// Opens the log file (append, create 0644); empty path = stderr.
Status configure(const std::string& path, Format format, bool debug);
// Parses "text" / "json".
Result<Format> parse_format(const std::string& name);

void write(Level level, const std::string& message);
inline void debug(const std::string& m) { write(Level::debug, m); }
inline void info(const std::string& m) { write(Level::info, m); }
inline void warn(const std::string& m) { write(Level::warning, m); }
inline void error(const std::string& m) { write(Level::error, m); }

// True when a log file was given (errors then go to the file and to stderr).
bool to_file();
// Closes the log fd; used in a child right before execve is not needed (O_CLOEXEC), but
// the intermediate process calls it so nothing is flushed twice.
void close();

}  // namespace arca::log
