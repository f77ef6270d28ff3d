// config.json "linux".
#include "spec/parse_sections.h"

namespace arca::spec {

Status decode(const json& v, const std::string& ptr, Namespace* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("type", &out->type));
  ARCA_TRY(r.get("path", &out->path));
  return {};
}

Status decode(const json& v, const std::string& ptr, TimeOffset* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("secs", &out->secs));
  ARCA_TRY(r.get("nanosecs", &out->nanosecs));
  return {};
}

Status decode(const json& v, const std::string& ptr, Device* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("type", &out->type));
  ARCA_TRY(r.require("path", &out->path));
  ARCA_TRY(r.get("major", &out->major));
  ARCA_TRY(r.get("minor", &out->minor));
  ARCA_TRY(r.get("fileMode", &out->file_mode));
  ARCA_TRY(r.get("uid", &out->uid));
  ARCA_TRY(r.get("gid", &out->gid));
  return {};
}

Status decode(const json& v, const std::string& ptr, Personality* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("domain", &out->domain));
  ARCA_TRY(r.get("flags", &out->flags));
  return {};
}

Status decode(const json& v, const std::string& ptr, Linux* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("namespaces", &out->namespaces));
  ARCA_TRY(r.get("uidMappings", &out->uid_mappings));
  ARCA_TRY(r.get("gidMappings", &out->gid_mappings));
  ARCA_TRY(r.get("timeOffsets", &out->time_offsets));
  ARCA_TRY(r.get("devices", &out->devices));
  ARCA_TRY(r.get("cgroupsPath", &out->cgroups_path));
  ARCA_TRY(r.raw_object("resources", &out->resources));
  ARCA_TRY(r.get("rootfsPropagation", &out->rootfs_propagation));
  ARCA_TRY(r.raw_object("seccomp", &out->seccomp));
  ARCA_TRY(r.get("sysctl", &out->sysctl));
  ARCA_TRY(r.get("maskedPaths", &out->masked_paths));
  ARCA_TRY(r.get("readonlyPaths", &out->readonly_paths));
  ARCA_TRY(r.get("mountLabel", &out->mount_label));
  ARCA_TRY(r.raw_object("intelRdt", &out->intel_rdt));
  ARCA_TRY(r.get("personality", &out->personality));
  return {};
}

}  // namespace arca::spec
