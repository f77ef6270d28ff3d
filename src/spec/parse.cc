#include "spec/parse.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "spec/parse_sections.h"

namespace arca::spec {

// The decoders live in arca::spec itself (not an unnamed namespace) so the container
// templates of json_reader.h find them by argument-dependent lookup.

Status decode(const json& v, const std::string& ptr, IdMapping* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("containerID", &out->container_id));
  ARCA_TRY(r.require("hostID", &out->host_id));
  ARCA_TRY(r.require("size", &out->size));
  return {};
}

Status decode(const json& v, const std::string& ptr, Root* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("path", &out->path));
  ARCA_TRY(r.get("readonly", &out->readonly));
  return {};
}

Status decode(const json& v, const std::string& ptr, Mount* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("destination", &out->destination));
  ARCA_TRY(r.get("type", &out->type));
  ARCA_TRY(r.get("source", &out->source));
  ARCA_TRY(r.get("options", &out->options));
  ARCA_TRY(r.get("uidMappings", &out->uid_mappings));
  ARCA_TRY(r.get("gidMappings", &out->gid_mappings));
  return {};
}

Status decode(const json& v, const std::string& ptr, Hook* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("path", &out->path));
  ARCA_TRY(r.get("args", &out->args));
  ARCA_TRY(r.get("env", &out->env));
  ARCA_TRY(r.get("timeout", &out->timeout));
  return {};
}

Status decode(const json& v, const std::string& ptr, Hooks* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("prestart", &out->prestart));
  ARCA_TRY(r.get("createRuntime", &out->create_runtime));
  ARCA_TRY(r.get("createContainer", &out->create_container));
  ARCA_TRY(r.get("startContainer", &out->start_container));
  ARCA_TRY(r.get("poststart", &out->poststart));
  ARCA_TRY(r.get("poststop", &out->poststop));
  return {};
}

Status decode(const json& v, const std::string& ptr, Config* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("ociVersion", &out->oci_version));
  ARCA_TRY(r.get("root", &out->root));
  ARCA_TRY(r.get("mounts", &out->mounts));
  ARCA_TRY(r.get("process", &out->process));
  out->has_process = r.has("process");
  ARCA_TRY(r.get("hostname", &out->hostname));
  out->has_hostname = r.has("hostname");
  ARCA_TRY(r.get("domainname", &out->domainname));
  out->has_domainname = r.has("domainname");
  ARCA_TRY(r.get("hooks", &out->hooks));
  ARCA_TRY(r.get("annotations", &out->annotations));
  ARCA_TRY(r.get("linux", &out->linux));
  out->has_linux = r.has("linux");
  return {};
}

Result<Config> parse_config(std::string_view text) {
  ARCA_ASSIGN(json doc, parse_json(text));
  Config config;
  ARCA_TRY(decode(doc, "", &config));
  return config;
}

Result<Process> parse_process(std::string_view text) {
  ARCA_ASSIGN(json doc, parse_json(text));
  Process process;
  ARCA_TRY(decode(doc, "", &process));
  return process;
}

namespace {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(path));
  std::string data;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("read " + quote(path));
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace

Result<Config> load_config(const std::string& bundle_dir) {
  std::string path = bundle_dir.empty() ? "config.json" : bundle_dir;
  if (!bundle_dir.empty()) path += bundle_dir.back() == '/' ? "config.json" : "/config.json";
  ARCA_ASSIGN(std::string text, read_file(path));
  auto config = parse_config(text);
  if (!config) return std::move(config).error().context("config.json");
  return config;
}

}  // namespace arca::spec
