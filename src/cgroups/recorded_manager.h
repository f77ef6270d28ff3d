// Resources and statistics of a container's recorded cgroup (state.json's extra.cgroup:
// the directory per controller, "" for cgroup2), for `update` and `events`. Like
// recorded.h these run without the config and possibly from another cgroup, so they use
// the recorded directories rather than re-resolving cgroupsPath.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/error.h"
#include "cgroups/resources.h"

namespace arca::cgroups {

// `imitation`: the recorded directories are plain directories standing in for cgroupfs
// (unit tests); otherwise every directory must be on a cgroup filesystem.
struct RecordedOptions {
  bool imitation = false;
};

// True when the record is of a cgroup v2 host: only the cgroup2 directory ("") recorded.
// Hybrid hosts record v1 controllers and "" and are treated as v1, as create was.
bool recorded_is_v2(const nlohmann::json& paths);

// Writes `r` (v1_writes or v2_writes) into the recorded directories: each write goes to
// its controller's directory (v2: the "" directory). A controller that was not recorded
// is an error naming it and the file. Stops at the first failing write.
Status apply_recorded(const nlohmann::json& paths, const Resources& r,
                      const RecordedOptions& options = {});

// runc's stats object (`runc events --stats`'s "data"): cpu, cpuset, memory, pids, blkio,
// hugetlb, intel_rdt and network_interfaces, with runc's JSON names; what a hierarchy does
// not have stays zero/empty, as in runc.
Result<nlohmann::json> recorded_stats(const nlohmann::json& paths,
                                      const RecordedOptions& options = {});

// The memory cgroup's OOM kill count (v1 memory.oom_control, v2 memory.events
// "oom_kill"); nullopt when there is no memory cgroup or the kernel does not say.
std::optional<uint64_t> recorded_oom_kills(const nlohmann::json& paths,
                                           const RecordedOptions& options = {});

// runc's memory sizes (go-units RAMInBytes, binary multiples): "1024", "512k", "512m",
// "1g", "1.5G", "64MiB", "64mb"; "-1" is unlimited.
Result<int64_t> parse_ram_bytes(const std::string& text);

// A Go duration as runc's --interval takes it: "5s", "500ms", "1m30s", "1.5s"; > 0.
Result<uint64_t> parse_duration_ms(const std::string& text);

}  // namespace arca::cgroups
