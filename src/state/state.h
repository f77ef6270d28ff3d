// The state dir of one container: <root>/<id>/ holding state.json, the exec fifo and the
// lock. Writes are atomic (temp file + rename); verbs that change a container hold an
// exclusive flock on the directory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::state {

// Note: this enum shadows arca::Status (Result<void>) inside this namespace, so functions
// here that can fail spell their return type arca::Status.
enum class Status { creating, created, running, paused, stopped };
const char* to_string(Status status);

// What arca remembers about a container (state.json). A superset of the OCI state.
struct Record {
  std::string id;
  std::string bundle;       // absolute
  std::string rootfs;       // absolute
  pid_t pid = 0;            // init's pid in arca's pid namespace; 0 while unknown
  uint64_t start_time = 0;  // init's start time (field 22 of /proc/PID/stat): detects pid reuse
  std::string created;      // RFC 3339, UTC, nanoseconds
  bool creating = true;     // false once create has finished
  std::string owner;        // "" for root, as runc
  std::map<std::string, std::string> annotations;
  nlohmann::json extra = nlohmann::json::object();  // room for later work (cgroups, hooks)
};

nlohmann::json to_json(const Record& record);
Result<Record> record_from_json(const nlohmann::json& j);

// The OCI state of a container: {"ociVersion", "id", "status", "pid", "bundle",
// "annotations"}; pid is omitted once stopped, as runc does.
nlohmann::json oci_state(const Record& record, Status status);

// Container ids: 1..1024 characters of [A-Za-z0-9_.+-], not "." or "..".
arca::Status validate_id(const std::string& id);

// The status a record implies right now: creating while create runs; created while init
// waits on the exec fifo; running while init lives; stopped when init is gone (or its pid
// was reused: start_time differs).
Status current_status(const Record& record, const std::string& state_dir);

// Start time of a process (field 22 of /proc/PID/stat), 0 when it does not exist.
uint64_t process_start_time(pid_t pid);

class StateDir {
 public:
  // Creates <root>/<id> (and root, 0700) exclusively: of two racing creates exactly one
  // wins, the other gets "container \"id\" already exists". Takes the lock.
  static Result<StateDir> create(const std::string& root, const std::string& id);
  // Opens an existing state dir: "container \"id\" does not exist" otherwise.
  static Result<StateDir> open(const std::string& root, const std::string& id);

  const std::string& path() const { return path_; }
  const std::string& id() const { return id_; }
  int fd() const { return dir_.get(); }
  std::string exec_fifo_path() const { return path_ + "/exec.fifo"; }

  arca::Status lock();  // exclusive, blocking
  Result<Record> load() const;
  arca::Status save(const Record& record) const;  // atomic
  // Removes the state dir and everything in it (it holds only plain files and a fifo).
  arca::Status remove();

 private:
  std::string path_;
  std::string id_;
  UniqueFd dir_;
};

// Ids of every container under root (sorted); an absent root is an empty list.
Result<std::vector<std::string>> list_ids(const std::string& root);

// Writes `content` to `path` atomically (temp file in the same dir + rename).
arca::Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode);
// The same for dir_fd/name: a fresh O_EXCL temp file (mode set regardless of the umask),
// then renameat() over the name; the temp file is removed on failure.
arca::Status write_at_atomic(int dir_fd, const std::string& name, const std::string& content,
                             mode_t mode);

// The current UTC time as RFC 3339 with nanoseconds: "2026-11-29T18:54:10.123456789Z".
std::string now_rfc3339();

}  // namespace arca::state
