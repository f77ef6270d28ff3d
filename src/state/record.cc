// Record <-> state.json, and the OCI state document.
#include <limits>

#include "state/state.h"

namespace arca::state {

using nlohmann::json;

namespace {

Error type_error(const char* key, const char* expected) {
  return Error::invalid("field " + quote(key) + ": expected " + expected);
}

// Each reader leaves `out` untouched when the key is absent: records written by older
// versions (or by hand) may lack optional keys.
arca::Status read_string(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return type_error(key, "a string");
  out = it->get<std::string>();
  return {};
}

arca::Status read_bool(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_boolean()) return type_error(key, "a boolean");
  out = it->get<bool>();
  return {};
}

arca::Status read_pid(const json& j, const char* key, pid_t& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  // is_number_integer() is true for both signed and unsigned storage.
  if (!it->is_number_integer()) return type_error(key, "an integer");
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) {
      return type_error(key, "a pid");
    }
  } else if (it->get<int64_t>() < 0 || it->get<int64_t>() > std::numeric_limits<pid_t>::max()) {
    return type_error(key, "a pid");
  }
  out = static_cast<pid_t>(it->get<int64_t>());
  return {};
}

arca::Status read_u64(const json& j, const char* key, uint64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_integer()) return type_error(key, "an integer");
  if (!it->is_number_unsigned() && it->get<int64_t>() < 0) {
    return type_error(key, "a non-negative integer");
  }
  out = it->get<uint64_t>();
  return {};
}

arca::Status read_annotations(const json& j, std::map<std::string, std::string>& out) {
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) return type_error("annotations", "an object");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      return Error::invalid("annotation " + quote(key) + ": expected a string");
    }
    out[key] = value.get<std::string>();
  }
  return {};
}

}  // namespace

json to_json(const Record& record) {
  return json{
      {"id", record.id},
      {"bundle", record.bundle},
      {"rootfs", record.rootfs},
      {"pid", record.pid},
      {"start_time", record.start_time},
      {"created", record.created},
      {"creating", record.creating},
      {"owner", record.owner},
      {"annotations", record.annotations},
      {"extra", record.extra},
  };
}

Result<Record> record_from_json(const json& j) {
  if (!j.is_object()) return Error::invalid("expected a JSON object");
  Record record;
  // The id is the one key a record cannot do without: it ties the file to its directory.
  if (!j.contains("id")) return Error::invalid("missing field \"id\"");
  ARCA_TRY(read_string(j, "id", record.id));
  ARCA_TRY(read_string(j, "bundle", record.bundle));
  ARCA_TRY(read_string(j, "rootfs", record.rootfs));
  ARCA_TRY(read_pid(j, "pid", record.pid));
  ARCA_TRY(read_u64(j, "start_time", record.start_time));
  ARCA_TRY(read_string(j, "created", record.created));
  ARCA_TRY(read_bool(j, "creating", record.creating));
  ARCA_TRY(read_string(j, "owner", record.owner));
  ARCA_TRY(read_annotations(j, record.annotations));
  if (auto it = j.find("extra"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return type_error("extra", "an object");
    record.extra = *it;
  }
  return record;
}

json oci_state(const Record& record, Status status) {
  json j{
      {"ociVersion", "1.2.0"},
      {"id", record.id},
      {"status", to_string(status)},
      {"bundle", record.bundle},
  };
  // runc drops the pid once the container has stopped: it may already belong to another
  // process.
  if (status != Status::stopped && record.pid != 0) j["pid"] = record.pid;
  if (!record.annotations.empty()) j["annotations"] = record.annotations;
  return j;
}

}  // namespace arca::state
