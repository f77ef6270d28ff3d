#include "cgroups/systemd_manager.h"

#include <unistd.h>

#include "cgroups/systemd_units.h"
#include "dbus/connection.h"
#include "linux/syscalls.h"

namespace arca::cgroups {
namespace {

using dbus::Connection;
using dbus::Message;
using dbus::Value;

Message manager_call(const std::string& member, std::vector<Value> body) {
  auto m = dbus::method_call("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", member);
  m.body = std::move(body);
  return m;
}

Result<Connection> connect_systemd(const SystemdBus& bus) {
  ARCA_ASSIGN(Connection c, Connection::open(bus.address, bus.bus));
  if (bus.bus) {  // a bus daemon routes the broadcast only to those who asked
    auto match = dbus::method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "AddMatch");
    match.body = {Value::string(
        "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',"
        "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'")};
    ARCA_TRY(c.call(std::move(match), now_ms() + bus.timeout_ms));
  }
  return c;
}

// Waits for JobRemoved(id, job, unit, result) of `job`; a result other than "done" fails.
Status wait_job(Connection& c, const std::string& job, int64_t deadline) {
  for (;;) {
    auto signal = c.next_signal(deadline);
    if (!signal) {
      if (signal.error().code() == ETIMEDOUT) return Error::invalid("job " + job + " timed out");
      return std::move(signal).error();
    }
    const Message& s = *signal;
    if (s.member != "JobRemoved" || s.body_signature() != "uoss" || s.body[1].str != job) {
      continue;
    }
    if (s.body[3].str != "done") return Error::invalid("job result " + quote(s.body[3].str));
    return {};
  }
}

// Calls `member` (which returns a job) and waits for the job. `accepted` (may be null) says
// whether systemd took the call, i.e. whether there is now something to undo.
Status run_job(const std::string& member, std::vector<Value> body, bool* accepted) {
  SystemdBus bus = systemd_bus();
  int64_t deadline = now_ms() + bus.timeout_ms;
  ARCA_ASSIGN(Connection c, connect_systemd(bus));
  auto reply = c.call(manager_call(member, std::move(body)), deadline);
  if (!reply && member == "StopUnit" &&
      reply.error().message().rfind("org.freedesktop.systemd1.NoSuchUnit", 0) == 0) {
    return {};
  }
  if (!reply) return std::move(reply).error();
  if (accepted != nullptr) *accepted = true;
  if (reply->body_signature() != "o") {
    return Error::invalid(member + " answered " + quote(reply->body_signature()));
  }
  return wait_job(c, reply->body[0].str, deadline);
}

// Where systemd put `unit`: GetUnit, then its Scope's ControlGroup property.
Result<std::string> control_group(const std::string& unit) {
  SystemdBus bus = systemd_bus();
  int64_t deadline = now_ms() + bus.timeout_ms;
  ARCA_ASSIGN(Connection c, connect_systemd(bus));
  ARCA_ASSIGN(Message unit_reply, c.call(manager_call("GetUnit", {Value::string(unit)}), deadline));
  ARCA_ASSIGN(std::string object, unit_object_path(unit_reply));
  auto get = dbus::method_call("org.freedesktop.systemd1", object,
                               "org.freedesktop.DBus.Properties", "Get");
  get.body = {Value::string("org.freedesktop.systemd1.Scope"), Value::string("ControlGroup")};
  ARCA_ASSIGN(Message get_reply, c.call(std::move(get), deadline));
  return unit_control_group(get_reply);
}

class SystemdManager : public Manager {
 public:
  SystemdManager(const HostCgroups& host, CgroupsPath path, std::string unit,
                 std::unique_ptr<Manager> inner, CgroupfsFactory at, const Resources* resources)
      : host_(host),
        path_(std::move(path)),
        unit_(std::move(unit)),
        inner_(std::move(inner)),
        at_(std::move(at)),
        resources_(resources) {}

  Mode mode() const override { return inner_->mode(); }
  std::string unit() const override { return unit_; }

  Status create() override {
    if (!started_) {
      in_scope_ = true;  // systemd may move arca even when the job then fails
      auto props = unit_properties(path_, getpid(), resources_, mode() == Mode::kV2);
      // started_: once systemd took the call, destroy() stops the unit (not before: a unit
      // of that name may be another container's).
      Status s = run_job("StartTransientUnit",
                         {Value::string(unit_), Value::string("replace"), std::move(props),
                          Value::array("(sa(sv))", {})},
                         &started_);
      if (!s) return std::move(s).error().context("systemd: start unit " + quote(unit_));
      // The cgroup is wherever systemd says it put the unit, in every hierarchy.
      auto cg = control_group(unit_);
      if (!cg) return std::move(cg).error().context("systemd: start unit " + quote(unit_));
      CgroupsPath there;
      there.kind = CgroupsPath::Kind::kAbsolute;
      there.path = *cg;
      inner_ = at_(there);
    }
    return inner_->create();
  }

  Status release_caller() override {
    if (!in_scope_) return {};
    std::vector<const Hierarchy*> all;
    for (const auto& h : host_.v1) all.push_back(&h);
    if (host_.unified) all.push_back(&*host_.unified);
    for (const Hierarchy* h : all) {
      std::string procs = h->mount_point + join_path(h->own_path, "cgroup.procs");
      Status s = linux_sys::write_existing(procs, std::to_string(getpid()));
      if (!s) return std::move(s).error().context("systemd: leave unit " + quote(unit_));
    }
    in_scope_ = false;
    return {};
  }

  Status destroy() override {
    ARCA_TRY(release_caller());  // stopping the unit kills what is in it
    if (started_) {
      Status s = stop_systemd_unit(unit_);
      if (!s) return s;
      started_ = false;
    }
    return inner_->destroy();
  }

  Status apply(const Resources& r) override { return inner_->apply(r); }
  Status add_process(pid_t pid) override { return inner_->add_process(pid); }
  Result<std::vector<pid_t>> pids() override { return inner_->pids(); }
  Status freeze(bool frozen) override { return inner_->freeze(frozen); }
  std::string path_for_ns() const override { return inner_->path_for_ns(); }
  std::map<std::string, std::string> paths() const override { return inner_->paths(); }
  Result<UniqueFd> open_v2_dir() const override { return inner_->open_v2_dir(); }
  Result<Placement> open_placement() const override { return inner_->open_placement(); }

 private:
  HostCgroups host_;
  CgroupsPath path_;
  std::string unit_;
  std::unique_ptr<Manager> inner_;
  CgroupfsFactory at_;
  const Resources* resources_;
  bool started_ = false;
  bool in_scope_ = false;
};

}  // namespace

Result<std::unique_ptr<Manager>> make_systemd_manager(const HostCgroups& host,
                                                      const CgroupsPath& path,
                                                      std::unique_ptr<Manager> inner,
                                                      CgroupfsFactory at,
                                                      const Resources* resources) {
  ARCA_ASSIGN(std::string unit, systemd_unit_name(path));
  return std::unique_ptr<Manager>(
      new SystemdManager(host, path, std::move(unit), std::move(inner), std::move(at), resources));
}

Status stop_systemd_unit(const std::string& unit) {
  Status s = run_job("StopUnit", {Value::string(unit), Value::string("replace")}, nullptr);
  if (!s) return std::move(s).error().context("systemd: stop unit " + quote(unit));
  return {};
}

}  // namespace arca::cgroups
