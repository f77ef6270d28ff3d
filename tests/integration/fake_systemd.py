#!/usr/bin/python3
"""A FAKE of systemd's org.freedesktop.systemd1 Manager, for test_systemd_driver.py.

This host (and CI) has no systemd as PID 1, so arca's systemd cgroup driver is tested
against this stand-in on a private dbus-daemon. It does what systemd does for a scope, in
miniature: StartTransientUnit records the properties, creates the scope's cgroup in each
hierarchy it is given, moves the PIDs there and emits JobRemoved; GetUnit and the unit's
Properties.Get("org.freedesktop.systemd1.Scope", "ControlGroup") tell where the scope is;
StopUnit kills what is left in the scope, removes its cgroups and emits JobRemoved. Every
call is appended as a JSON line to the log.

Its cgroup tree is rooted at ROOT, the test's own memory cgroup ("/process_api/<hash>"),
not at the hierarchy roots: the scope of Slice=a-b.slice is ROOT/a.slice/a-b.slice/<unit>
in every hierarchy, so that no process (arca, which starts inside the scope, and the
container) ever leaves the test's memory subtree. The directories it creates, and the
memory cgroup of each PID once moved, are logged.

usage: fake_systemd.py ADDRESS LOG MODE ROOT HIERARCHY...
MODE: ok | error (StartTransientUnit answers a D-Bus error) | hang (no JobRemoved for a
start) | fail (the start job ends with result "failed", after the scope was made) | nocg
(the scope's ControlGroup is ""). Prints "ready" once it owns the name.
"""
import json
import os
import signal
import sys
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.systemd1.Manager"
UNITS = "/org/freedesktop/systemd1/unit"


def slice_path(slice_name):
    stem = slice_name[:-len(".slice")]
    if stem == "-":
        return ""
    parts, path = stem.split("-"), ""
    for i in range(len(parts)):
        path += "/" + "-".join(parts[:i + 1]) + ".slice"
    return path


def makedirs(d):
    """os.makedirs, returning the directories it created, top-down."""
    made = []
    parent = os.path.dirname(d)
    if not os.path.isdir(parent):
        made += makedirs(parent)
    try:
        os.mkdir(d)
        made.append(d)
    except FileExistsError:
        pass
    return made


def memory_cgroup(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if "memory" in controllers.split(","):
                return path
    return None


def plain(v):
    """dbus-python values as JSON-able Python values."""
    if isinstance(v, (dbus.Array, list)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.Struct, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (int, dbus.UInt32, dbus.UInt64, dbus.Int32, dbus.Int64, dbus.Byte)):
        return int(v)
    return str(v)


class Manager(dbus.service.Object):
    def __init__(self, bus, log, mode, root, hierarchies):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.log, self.mode, self.root, self.hierarchies = log, mode, root, hierarchies
        self.units = {}  # name -> (ControlGroup, scope directories)
        self.jobs = 0

    def record(self, **entry):
        with open(self.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def job(self, unit, emit=True, result="done"):
        self.jobs += 1
        n, path = self.jobs, f"/org/freedesktop/systemd1/job/{self.jobs}"
        if emit:  # after the reply, as systemd's job finishes later
            GLib.idle_add(lambda: self.JobRemoved(n, path, unit, result) and False)
        return dbus.ObjectPath(path)

    @dbus.service.method(IFACE, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, name, mode, props, aux):
        props = {str(k): plain(v) for k, v in props}
        self.record(method="StartTransientUnit", name=str(name), mode=str(mode), props=props,
                    aux=plain(aux))
        if self.mode == "error":
            raise dbus.exceptions.DBusException(
                f"Unit {name} already exists.", name="org.freedesktop.systemd1.UnitExists")
        cgroup = self.root.rstrip("/") + slice_path(props["Slice"]) + "/" + name
        dirs, made = [h + cgroup for h in self.hierarchies], []
        for d in dirs:
            made += makedirs(d)
            for pid in props.get("PIDs", []):
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
        self.record(event="made", dirs=made,
                    memory=[memory_cgroup(pid) for pid in props.get("PIDs", [])])
        self.units[str(name)] = ("" if self.mode == "nocg" else cgroup, dirs)
        return self.job(str(name), emit=self.mode != "hang",
                        result="failed" if self.mode == "fail" else "done")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        self.record(method="StopUnit", name=str(name), mode=str(mode))
        _, dirs = self.units.pop(str(name), (None, None))
        if dirs is None:
            raise dbus.exceptions.DBusException(
                f"Unit {name} not loaded.", name="org.freedesktop.systemd1.NoSuchUnit")
        for d in dirs:
            with open(os.path.join(d, "cgroup.procs")) as f:
                for pid in f.read().split():
                    os.kill(int(pid), signal.SIGKILL)
        for d in dirs:
            for _ in range(200):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        return self.job(str(name))

    @dbus.service.method(IFACE, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        self.record(method="GetUnit", name=str(name))
        if str(name) not in self.units:
            raise dbus.exceptions.DBusException(
                f"Unit {name} not loaded.", name="org.freedesktop.systemd1.NoSuchUnit")
        return dbus.ObjectPath(UNITS + "/" + unit_label(str(name)))

    @dbus.service.signal(IFACE, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass


def unit_label(name):
    """systemd's object path label: bytes other than [A-Za-z0-9] as _xx."""
    return "".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in name)


class Units(dbus.service.FallbackObject):
    """/org/freedesktop/systemd1/unit/<label>: the scope's ControlGroup property."""

    def __init__(self, bus, manager):
        super().__init__(bus, UNITS)
        self.manager = manager

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss",
                         out_signature="v", rel_path_keyword="rel")
    def Get(self, interface, prop, rel):
        self.manager.record(method="Get", path=UNITS + rel, interface=str(interface),
                            property=str(prop))
        for name, (cgroup, _) in self.manager.units.items():
            if rel == "/" + unit_label(name) and interface.endswith(".Scope") \
                    and prop == "ControlGroup":
                return dbus.String(cgroup, variant_level=1)
        raise dbus.exceptions.DBusException(
            f"No property {interface}.{prop} at {UNITS + rel}",
            name="org.freedesktop.DBus.Error.UnknownProperty")


def main():
    address, log, mode, root, hierarchies = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4], sys.argv[5:]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)
    manager = Manager(bus, log, mode, root, hierarchies)
    Units(bus, manager)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


if __name__ == "__main__":
    main()
