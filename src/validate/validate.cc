#include "validate/validate.h"

#include <sys/stat.h>

#include <cctype>
#include <utility>

#include "validate/checks.h"

namespace arca::validate {

Error fail(const std::string& pointer, const std::string& reason) {
  return Error::invalid(pointer + ": " + reason);
}

std::string at(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

bool is_absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

namespace {

// Reads the leading decimal number of `s` from `pos`; false when there is none.
bool read_number(const std::string& s, std::size_t* pos, std::string* digits) {
  std::size_t start = *pos;
  while (*pos < s.size() && std::isdigit(static_cast<unsigned char>(s[*pos]))) ++*pos;
  *digits = s.substr(start, *pos - start);
  return !digits->empty();
}

}  // namespace

Status check_oci_version(const spec::Config& c, const std::string&) {
  const std::string& v = c.oci_version;
  if (v.empty()) return fail("/ociVersion", "is required");
  // SemVer "MAJOR.MINOR.PATCH[-pre]"; only the major version decides compatibility, and
  // pre-release strings such as runc's "1.0.2-dev" are common in the wild.
  std::size_t pos = 0;
  std::string major, minor;
  bool ok = read_number(v, &pos, &major) && pos < v.size() && v[pos++] == '.' &&
            read_number(v, &pos, &minor);
  if (!ok) return fail("/ociVersion", quote(v) + " is not a version");
  if (major != "1") return fail("/ociVersion", "unsupported major version in " + quote(v));
  return {};
}

Status check_root(const spec::Config& c, const std::string& bundle) {
  const std::string& path = c.root.path;
  if (path.empty()) return fail("/root/path", "is required");
  std::string full = is_absolute(path) || bundle.empty() ? path : bundle + "/" + path;
  struct stat st;
  if (::stat(full.c_str(), &st) != 0) {
    if (errno == ENOENT) return fail("/root/path", quote(path) + " does not exist");
    return Error::os("/root/path: stat " + quote(full));
  }
  if (!S_ISDIR(st.st_mode)) return fail("/root/path", quote(path) + " is not a directory");
  return {};
}

Status check_mounts(const spec::Config& c, const std::string&) {
  for (std::size_t i = 0; i < c.mounts.size(); ++i) {
    const spec::Mount& m = c.mounts[i];
    std::string ptr = at("/mounts", i);
    if (!is_absolute(m.destination)) return fail(ptr + "/destination", "must be an absolute path");
    // An idmapped mount maps both ids; the kernel has no way to map only one of them.
    if (m.uid_mappings.empty() != m.gid_mappings.empty()) {
      return fail(ptr, "uidMappings and gidMappings must be given together");
    }
  }
  return {};
}

Status check_hooks(const spec::Config& c, const std::string&) {
  const std::pair<const char*, const std::vector<spec::Hook>*> lists[] = {
      {"prestart", &c.hooks.prestart},
      {"createRuntime", &c.hooks.create_runtime},
      {"createContainer", &c.hooks.create_container},
      {"startContainer", &c.hooks.start_container},
      {"poststart", &c.hooks.poststart},
      {"poststop", &c.hooks.poststop},
  };
  for (const auto& [name, hooks] : lists) {
    for (std::size_t i = 0; i < hooks->size(); ++i) {
      const spec::Hook& h = (*hooks)[i];
      std::string ptr = at(std::string("/hooks/") + name, i);
      if (!is_absolute(h.path)) return fail(ptr + "/path", "must be an absolute path");
      if (h.timeout && *h.timeout <= 0) return fail(ptr + "/timeout", "must be greater than 0");
    }
  }
  return {};
}

const std::vector<Check>& checks() {
  // Ordered so the most basic problem is reported first: a config with no version or
  // root is wrong before any detail of it is.
  static const std::vector<Check> kChecks = {
      {"ociVersion", check_oci_version},
      {"root", check_root},
      {"process", check_process},
      {"capabilities", check_capabilities},
      {"rlimits", check_rlimits},
      {"scheduling", check_scheduling},
      {"mounts", check_mounts},
      {"hooks", check_hooks},
      {"namespaces", check_namespaces},
      {"idMappings", check_id_mappings},
      {"timeOffsets", check_time_offsets},
      {"hostNames", check_host_names},
      {"devices", check_devices},
      {"rootfsPropagation", check_rootfs_propagation},
      {"unsupported", check_unsupported},
      {"personality", check_personality},
      {"sysctl", check_sysctl},
      {"pathLists", check_path_lists},
  };
  return kChecks;
}

Status validate_config(const spec::Config& config, const std::string& bundle_dir) {
  for (const Check& check : checks()) ARCA_TRY(check.run(config, bundle_dir));
  return {};
}

}  // namespace arca::validate
