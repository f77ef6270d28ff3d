#!/usr/bin/python3
"""A FAKE of systemd's org.freedesktop.systemd1 Manager, for test_systemd_driver.py.

This host (and CI) has no systemd as PID 1, so arca's systemd cgroup driver is tested
against this stand-in on a private dbus-daemon. It does what systemd does for a scope, in
miniature: StartTransientUnit records the properties, creates the scope's cgroup in each
hierarchy it is given (at the slice's expanded path: a-b.slice -> a.slice/a-b.slice),
moves the PIDs there and emits JobRemoved; StopUnit kills what is left in the scope,
removes its cgroups and emits JobRemoved. Every call is appended as a JSON line to the log.

usage: fake_systemd.py ADDRESS LOG MODE HIERARCHY...
MODE: ok | error (StartTransientUnit answers a D-Bus error) | hang (no JobRemoved for a
start) | fail (the start job ends with result "failed", after the scope was made). Prints "ready" once it owns the name.
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


def slice_path(slice_name):
    stem = slice_name[:-len(".slice")]
    if stem == "-":
        return ""
    parts, path = stem.split("-"), ""
    for i in range(len(parts)):
        path += "/" + "-".join(parts[:i + 1]) + ".slice"
    return path


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
    def __init__(self, bus, log, mode, hierarchies):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.log, self.mode, self.hierarchies = log, mode, hierarchies
        self.units = {}  # name -> scope directories
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
        dirs = [h + slice_path(props["Slice"]) + "/" + name for h in self.hierarchies]
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            for pid in props.get("PIDs", []):
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
        self.units[str(name)] = dirs
        return self.job(str(name), emit=self.mode != "hang",
                        result="failed" if self.mode == "fail" else "done")

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        self.record(method="StopUnit", name=str(name), mode=str(mode))
        dirs = self.units.pop(str(name), None)
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

    @dbus.service.signal(IFACE, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass


def main():
    address, log, mode, hierarchies = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)
    Manager(bus, log, mode, hierarchies)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


if __name__ == "__main__":
    main()
