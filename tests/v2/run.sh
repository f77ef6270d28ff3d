#!/bin/sh
# Real cgroup v2 tests of arca. Runs as root inside the throwaway v2vm.sh guest (busybox sh,
# cgroup2 at /sys/fs/cgroup with cpu/memory/pids/io/cpuset enabled for children); built and
# booted by scripts/v2.sh. The payload dir (cwd, /payload) holds: arca, arca-probe, busybox.
# Prints "ok NAME" / "FAIL NAME: reason" per test, then "v2: N passed, M failed".
# Exit status: 0 when everything passed.

P=$(pwd)
ARCA="$P/arca"
STATE=/run/arca-v2          # arca --root
W=/tmp/v2t                  # bundles and the shared rootfs
CG=/sys/fs/cgroup
BASE=arca-v2-test           # parent of every relative cgroupsPath used here
TMO=60                      # seconds any one arca command may take

own=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$own" = / ] && own=
CGBASE=$CG$own/$BASE        # where the relative paths land

PASSED=0
FAILED=0
T=
R=
begin() { T=$1; R=; echo "--- $T"; }
bad() { [ -n "$R" ] || R="$*"; echo "    ! $*"; }
end() {
  if [ -z "$R" ]; then
    echo "ok $T"; PASSED=$((PASSED + 1))
  else
    echo "FAIL $T: $R"; FAILED=$((FAILED + 1))
  fi
}

A() { timeout $TMO "$ARCA" --root "$STATE" "$@"; }

# The init's pid / status from `arca state`.
state_pid() { A state "$1" 2>/dev/null | grep -o '"pid": *[0-9]*' | head -n 1 | grep -o '[0-9]*$'; }
state_status() {
  A state "$1" 2>/dev/null | grep -o '"status": *"[a-z]*"' | head -n 1 | sed 's/.*"\([a-z]*\)"$/\1/'
}

# expect_file FILE VALUE: the whole content of FILE (one line) is VALUE.
expect_file() {
  if [ ! -f "$1" ]; then bad "$1 missing"; return 1; fi
  v=$(cat "$1" 2>&1)
  [ "$v" = "$2" ] || { bad "$1 is '$v', want '$2'"; return 1; }
}

# wait_status ID STATUS: up to ~10 s.
wait_status() {
  i=0
  while [ $i -lt 100 ]; do
    [ "$(state_status "$1")" = "$2" ] && return 0
    usleep 100000; i=$((i + 1))
  done
  return 1
}

cleanup() { A delete -f "$1" >/dev/null 2>&1; }

# mkbundle NAME ARGS RESOURCES [CGROUPS_PATH] [EXTRA_NAMESPACES]
#   ARGS: JSON list items ('"sleep", "1000"'); RESOURCES: members of linux.resources
#   besides devices ('"pids": {"limit": 15}'); EXTRA_NAMESPACES: more list items
#   (', {"type": "cgroup"}'). The rest is arca spec's (runc's) default config.
mkbundle() {
  b=$W/$1
  rm -rf "$b"; mkdir -p "$b"
  cgp=
  [ -n "$4" ] && cgp="\"cgroupsPath\": \"$4\","
  res='"devices": [{"allow": false, "access": "rwm"}]'
  [ -n "$3" ] && res="$res, $3"
  cat >"$b/config.json" <<EOF
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": [$2],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "$W/rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    $cgp
    "resources": {$res},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}$5],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
EOF
}

# --- setup -------------------------------------------------------------------------------
echo "v2 guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, own cgroup '${own:-/}'"
echo "cgroup root controllers: $(cat $CG/cgroup.subtree_control)"
rm -rf "$W" "$STATE"
mkdir -p "$W/rootfs/bin" "$W/rootfs/proc" "$W/rootfs/sys" "$W/rootfs/dev" "$W/rootfs/tmp" \
  "$W/rootfs/etc" "$STATE"
cp "$P/busybox" "$W/rootfs/bin/busybox"
for a in $("$P/busybox" --list); do
  [ "$a" = busybox ] || ln -s busybox "$W/rootfs/bin/$a"
done
cp "$P/arca-probe" "$W/rootfs/probe"

# --- tests -------------------------------------------------------------------------------

begin features_v2
out=$(A features 2>&1)
echo "$out" | tr -d ' \n' | grep -q '"v2":true' || bad "arca features does not say cgroup v2 true"
end

begin pids_max
n=pids; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"pids": {"limit": 15}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/pids.max" 15
  pid=$(state_pid $n)
  if [ -z "$pid" ]; then
    bad "no pid in arca state"
  else
    grep -qx "0::$own/$path" /proc/$pid/cgroup || bad "/proc/$pid/cgroup: $(cat /proc/$pid/cgroup)"
    grep -qx "$pid" "$d/cgroup.procs" || bad "init $pid not in $d/cgroup.procs"
  fi
  A kill $n KILL || bad "kill failed"
  wait_status $n stopped || bad "not stopped after SIGKILL: $(state_status $n)"
  A delete $n || bad "delete failed"
  [ -d "$d" ] && bad "delete left $d"
  A state $n >/dev/null 2>&1 && bad "state still there after delete"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin proc_self_cgroup_inside
n=probe; path=$BASE/$n
mkbundle $n '"/probe"' '"pids": {"limit": 20}' "$path"
out=$(A run -b "$W/$n" $n 2>&1 </dev/null); rc=$?
[ $rc -eq 0 ] || bad "run exited $rc: $out"
echo "$out" | grep -qF "\"0::$own/$path\\n\"" || bad "probe's cgroup field does not name $own/$path: $(echo "$out" | grep -o '"cgroup":[^,]*')"
cleanup $n
end

begin memory_max_swap
n=mem; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' \
  '"memory": {"limit": 67108864, "swap": 100663296, "reservation": 33554432}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/memory.max" 67108864
  expect_file "$d/memory.swap.max" 33554432   # runc: swap.max = swap - limit
  expect_file "$d/memory.low" 33554432
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
[ -d "$d" ] && bad "delete -f left $d"
end

begin memory_unlimited_swap
n=memu; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"memory": {"limit": 67108864, "swap": -1}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/memory.max" 67108864
  expect_file "$d/memory.swap.max" max
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin cpu_max_weight
n=cpu; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"cpu": {"quota": 50000, "period": 100000, "shares": 1024}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/cpu.max" "50000 100000"
  expect_file "$d/cpu.weight" 39    # runc: 1 + ((1024 - 2) * 9999) / 262142
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin cpu_max_period_only
n=cpup; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"cpu": {"period": 50000, "shares": 2}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/cpu.max" "max 50000"
  expect_file "$d/cpu.weight" 1
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin fork_bomb_held
n=forkbomb; path=$BASE/$n
mkbundle $n '"sh", "-c", "i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo all forked"' \
  '"pids": {"limit": 15}' "$path"
out=$(A run -b "$W/$n" $n 2>&1 </dev/null); rc=$?
echo "$out" | grep -q "can't fork" || bad "no \"can't fork\" (rc $rc): $out"
echo "$out" | grep -q "all forked" && bad "40 children forked under pids.limit 15"
cleanup $n
[ -d "$CG$own/$path" ] && bad "left $CG$own/$path"
end

begin oom_kill_137
n=oom; path=$BASE/$n
mkbundle $n '"sh", "-c", "x=$(yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 300000000); echo survived ${#x}"' \
  '"memory": {"limit": 33554432, "swap": 33554432}' "$path"
out=$(A run -b "$W/$n" $n 2>&1 </dev/null); rc=$?
[ $rc -eq 137 ] || bad "arca run exited $rc, want 137: $out"
cleanup $n
[ -d "$CG$own/$path" ] && bad "left $CG$own/$path"
end

begin pause_resume_freeze
n=pause; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  if A pause $n; then
    s=$(state_status $n); [ "$s" = paused ] || bad "state after pause: '$s'"
    grep -qx "frozen 1" "$d/cgroup.events" || bad "cgroup.events after pause: $(cat "$d/cgroup.events")"
    expect_file "$d/cgroup.freeze" 1
    pid=$(state_pid $n)
    st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)
    echo "    frozen init $pid state: $st"
  else
    bad "pause failed"
  fi
  if A resume $n; then
    s=$(state_status $n); [ "$s" = running ] || bad "state after resume: '$s'"
    grep -qx "frozen 0" "$d/cgroup.events" || bad "cgroup.events after resume: $(cat "$d/cgroup.events")"
  else
    bad "resume failed"
  fi
  A pause $n || bad "second pause failed"
  A delete -f $n || bad "delete -f of a paused container failed"
  [ -d "$d" ] && bad "delete -f left $d"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin cgroup_namespace
n=cgns; path=$BASE/$n
mkbundle $n '"cat", "/proc/self/cgroup"' '"pids": {"limit": 20}' "$path" ', {"type": "cgroup"}'
# stdout only: arca's own messages on stderr are not the container's output.
out=$(A run -b "$W/$n" $n 2>"$W/$n.err" </dev/null); rc=$?
[ $rc -eq 0 ] || bad "run exited $rc: $(cat "$W/$n.err")"
[ "$out" = "0::/" ] || bad "/proc/self/cgroup inside: '$out', want '0::/'"
cleanup $n
end

begin cgroup_namespace_default_path
n=cgnsdef
mkbundle $n '"cat", "/proc/self/cgroup"' '' '' ', {"type": "cgroup"}'
# stdout only: arca's own messages on stderr are not the container's output.
out=$(A run -b "$W/$n" $n 2>"$W/$n.err" </dev/null); rc=$?
[ $rc -eq 0 ] || bad "run exited $rc: $(cat "$W/$n.err")"
[ "$out" = "0::/" ] || bad "/proc/self/cgroup inside: '$out', want '0::/'"
cleanup $n
[ -d "$CG$own/$n" ] && bad "left $CG$own/$n"
end

begin absolute_path_cpuset_io
n=abs; path=/arca-v2-abs/$n; d=$CG$path
mkbundle $n '"sleep", "1000"' '"cpu": {"cpus": "0", "mems": "0"}, "blockIO": {"weight": 500}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/cpuset.cpus" 0
  expect_file "$d/cpuset.mems" 0
  expect_file "$d/io.weight" "default 4950"   # runc: 1 + ((500 - 10) * 9999) / 990
  pid=$(state_pid $n)
  grep -qx "0::$path" /proc/$pid/cgroup || bad "/proc/$pid/cgroup: $(cat /proc/$pid/cgroup)"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
[ -d "$d" ] && bad "delete -f left $d"
rmdir "$CG/arca-v2-abs" 2>/dev/null
end

begin create_delete_unstarted
n=unstarted; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"pids": {"limit": 15}' "$path"
if A create -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  expect_file "$d/pids.max" 15
  s=$(state_status $n); [ "$s" = created ] || bad "state after create: '$s'"
  pid=$(state_pid $n)
  grep -qx "$pid" "$d/cgroup.procs" || bad "created init $pid not in $d/cgroup.procs"
  A delete -f $n || bad "delete -f failed"
  [ -d "$d" ] && bad "delete -f left $d"
else
  bad "create failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin ps_kill_all_no_pidns
# Without a pid namespace nothing kills the init's children when it dies: the cgroup does.
n=nopidns; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sh", "-c", "sleep 1001 & sleep 1002 & exec sleep 1003"' '"pids": {"limit": 15}' "$path"
sed -i 's/{"type": "pid"}, //' "$W/$n/config.json"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  i=0; while [ $i -lt 50 ] && [ "$(wc -l <"$d/cgroup.procs")" -lt 3 ]; do usleep 100000; i=$((i + 1)); done
  np=$(wc -l <"$d/cgroup.procs")
  [ "$np" -eq 3 ] || bad "cgroup.procs has $np processes, want 3"
  out=$(A ps -f json $n 2>&1)
  cnt=$(echo "$out" | tr -c '0-9\n' ' ' | wc -w)
  [ "$cnt" -eq 3 ] || bad "ps -f json: '$out'"
  A kill -a $n KILL || bad "kill -a failed"
  i=0; while [ $i -lt 50 ] && [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ]; do usleep 100000; i=$((i + 1)); done
  [ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || bad "kill -a left: $(cat "$d/cgroup.procs")"
  A delete $n || A delete -f $n || bad "delete failed"
  [ -d "$d" ] && bad "delete left $d"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin delete_force_no_pidns
n=nopidns2; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sh", "-c", "sleep 1001 & sleep 1002 & exec sleep 1003"' '' "$path"
sed -i 's/{"type": "pid"}, //' "$W/$n/config.json"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  i=0; while [ $i -lt 50 ] && [ "$(wc -l <"$d/cgroup.procs")" -lt 3 ]; do usleep 100000; i=$((i + 1)); done
  out=$(A delete -f $n 2>&1) || bad "delete -f failed: $out"
  [ -d "$d" ] && bad "delete -f left $d ($(cat "$d/cgroup.procs" 2>/dev/null | tr '\n' ' '))"
  left=$(ps -o pid,args | grep 'sleep 100[123]' | grep -v grep)
  [ -z "$left" ] || bad "processes left: $left"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin nested_own_cgroup
# arca started from a non-root cgroup: a relative cgroupsPath lands below it; delete, run
# from elsewhere, finds the recorded cgroup.
n=nested; outer=$CG/arca-v2-outer; path=$BASE/$n; d=$outer/$path
mkdir -p "$outer"
mkbundle $n '"sleep", "1000"' '' "$path"
if sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$outer" \
    timeout $TMO "$ARCA" --root "$STATE" run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  pid=$(state_pid $n)
  grep -qx "0::/arca-v2-outer/$path" /proc/$pid/cgroup || bad "/proc/$pid/cgroup: $(cat /proc/$pid/cgroup)"
  A delete -f $n || bad "delete -f (from another cgroup) failed"
  [ -d "$d" ] && bad "delete -f left $d"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
# With a limit: the controller cannot be had below a populated cgroup; a clear error, and
# the caller's cgroup is not turned into a thread root.
n=nested2; d=$outer/$BASE/$n
mkbundle $n '"true"' '"pids": {"limit": 15}' "$BASE/$n"
out=$(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$outer" \
    timeout $TMO "$ARCA" --root "$STATE" run -b "$W/$n" $n 2>&1 </dev/null) && bad "pids limit below a populated cgroup: run succeeded"
echo "    $out"
[ -d "$d" ] && bad "failed run left $d"
t=$(cat "$outer/cgroup.type"); [ "$t" = domain ] || bad "$outer/cgroup.type is '$t'"
cleanup $n
rmdir "$outer/$BASE" "$outer" 2>/dev/null
end

begin exec_joins_cgroup
n=exec; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '"pids": {"limit": 20}' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  pid=$(state_pid $n)
  out=$(A exec $n cat /proc/self/cgroup 2>&1); rc=$?
  [ $rc -eq 0 ] || bad "exec exited $rc: $out"
  [ "$out" = "$(cat /proc/$pid/cgroup)" ] || bad "exec'd cgroup '$out', init's '$(cat /proc/$pid/cgroup)'"
  A exec $n sh -c 'exit 3'; rc=$?
  [ $rc -eq 3 ] || bad "exit status $rc, want 3"
  # The container moved its init into a sub-cgroup and enabled a controller for its
  # children: only leaves take processes now, so exec must join the init's leaf.
  mkdir "$d/leaf" && echo "$pid" >"$d/leaf/cgroup.procs" && echo +pids >"$d/cgroup.subtree_control" ||
    bad "could not move the init into $d/leaf"
  out=$(A exec $n cat /proc/self/cgroup 2>&1); rc=$?
  [ $rc -eq 0 ] || bad "exec into a container with sub-cgroups exited $rc: $out"
  [ "$out" = "0::$own/$path/leaf" ] || bad "exec'd process in '$out', want the init's leaf"
  A delete -f $n || bad "delete -f failed"
  [ -d "$d" ] && bad "delete -f left $d"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

# add_cap NAME CAP: the bundle's process gets CAP (bounding, effective, permitted, ambient).
add_cap() { sed -i "/\"ambient\"/!s/\"CAP_KILL\"/\"CAP_KILL\", \"$2\"/g" "$W/$1/config.json"; }

# allow_device NAME RULE: RULE (JSON) appended to the bundle's device allowlist.
allow_device() {
  sed -i "s/\"devices\": \[{\"allow\": false, \"access\": \"rwm\"}\]/\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, $2]/" \
    "$W/$1/config.json"
}

begin devices_ebpf_mknod
# runc spec's "deny everything" plus the defaults, as an eBPF program: the container may
# mknod any node but opens only allowed ones. /dev/kmsg opened write-only needs no
# capability, so only the device program can refuse it.
n=devs; path=$BASE/$n
mkbundle $n '"sh", "-c", "mknod /dev/arca-kmsg c 1 11 && echo mknod-ok; (exec 3>/dev/arca-kmsg) && echo kmsg-opened; echo x >/dev/null && echo null-ok"' '' "$path"
add_cap $n CAP_MKNOD
out=$(A run -b "$W/$n" $n 2>"$W/$n.err" </dev/null); rc=$?
err=$(cat "$W/$n.err")
echo "    rc $rc: $(echo $out) / $err"
echo "$out" | grep -qx mknod-ok || bad "mknod failed: $err"
echo "$out" | grep -qx kmsg-opened && bad "an un-allowed device node was opened"
echo "$err" | grep -q "Operation not permitted" || bad "no EPERM for the un-allowed node: $err"
echo "$out" | grep -qx null-ok || bad "/dev/null not usable: $err"
cleanup $n
end

begin devices_update_replaces_program
# An allowed node opens until `update -r` replaces the program with one that refuses it;
# /dev/null keeps working. Commands run in the container through nsenter after joining
# its cgroup (the device program is the cgroup's).
n=devup; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '' "$path"
allow_device $n '{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}'
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  pid=$(state_pid $n)
  in_container() {
    sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec nsenter "$@"' sh "$d" \
      -t "$pid" -m -p -r -w sh -c "$1" 2>&1
  }
  out=$(in_container "mknod /dev/arca-kmsg c 1 11; (exec 3>/dev/arca-kmsg) && echo kmsg-opened")
  echo "$out" | grep -qx kmsg-opened || bad "allowed node not opened: $out"
  echo '{"devices": [{"allow": false, "access": "rwm"}]}' >"$W/$n.devices.json"
  out=$(A update -r "$W/$n.devices.json" $n 2>&1) || bad "update failed: $out"
  out=$(in_container "(exec 3>/dev/arca-kmsg) && echo kmsg-opened; echo x >/dev/null && echo null-ok")
  echo "    after update: $(echo $out)"
  echo "$out" | grep -qx kmsg-opened && bad "node still opens after update"
  echo "$out" | grep -qx null-ok || bad "/dev/null lost after update: $out"
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin clone_into_cgroup
# The init starts in its cgroup (clone3 CLONE_INTO_CGROUP): arca runs in a cgroup whose
# pids.max leaves no room to fork there, so only a clone straight into the container's
# cgroup (an absolute path elsewhere) succeeds; a fork-then-move would fail with EAGAIN.
n=into; tight=$CG/arca-v2-tight; path=/arca-v2-into/$n; d=$CG$path
mkdir -p "$tight"
mkbundle $n '"/probe"' '' "$path"
out=$(sh -c 'echo $$ >"$1/cgroup.procs" && echo 1 >"$1/pids.max" && shift && exec "$@"' sh \
    "$tight" "$ARCA" --root "$STATE" run -b "$W/$n" $n 2>"$W/$n.err" </dev/null); rc=$?
[ $rc -eq 0 ] || bad "run from a cgroup with pids.max 1 exited $rc: $(cat "$W/$n.err")"
echo "$out" | grep -qF "\"0::$path\\n\"" ||
  bad "probe's cgroup field does not name $path: $(echo "$out" | grep -o '"cgroup":[^,]*')"
cleanup $n
[ -d "$d" ] && bad "left $d"
rmdir "$CG/arca-v2-into" "$tight" 2>/dev/null
end

begin update_check_before_update
# memory.checkBeforeUpdate: a limit not above the current usage is refused (runc), the
# cgroup keeps its limit; a limit above it is written.
n=cbu; path=$BASE/$n; d=$CG$own/$path
mkbundle $n '"sleep", "1000"' '' "$path"
if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
  echo "    memory.current $(cat "$d/memory.current")"
  echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' >"$W/$n.low.json"
  out=$(A update -r "$W/$n.low.json" $n 2>&1) && bad "update to 4096 bytes succeeded"
  echo "    $out"
  echo "$out" | grep -q "checkBeforeUpdate" || bad "error does not name checkBeforeUpdate: $out"
  expect_file "$d/memory.max" max
  echo '{"memory": {"limit": 67108864, "checkBeforeUpdate": true}}' >"$W/$n.ok.json"
  out=$(A update -r "$W/$n.ok.json" $n 2>&1) || bad "update to 64 MiB failed: $out"
  expect_file "$d/memory.max" 67108864
else
  bad "run -d failed: $(cat "$W/$n.log")"
fi
cleanup $n
end

begin hugetlb_max
# hugetlb is not among v2vm.sh's default controllers: delegate it from the (throwaway)
# guest's root first, when the kernel has it.
n=huge; path=$BASE/$n; d=$CG$own/$path
if grep -qw hugetlb "$CG/cgroup.controllers" && echo +hugetlb >"$CG/cgroup.subtree_control"; then
  mkbundle $n '"sleep", "1000"' '"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]' "$path"
  if A run -d -b "$W/$n" $n >"$W/$n.log" 2>&1 </dev/null; then
    expect_file "$d/hugetlb.2MB.max" 4194304
  else
    bad "run -d failed: $(cat "$W/$n.log")"
  fi
  cleanup $n
else
  echo "    no hugetlb controller in this kernel: not tested"
fi
end

# fail_create NAME RESOURCES [ARGS]: `arca run` fails and leaves no cgroup nor state.
fail_create() {
  n=$1; path=$BASE/$n; d=$CG$own/$path
  args='"true"'
  [ -n "$3" ] && args=$3
  mkbundle $n "$args" "$2" "$path"
  out=$(A run -b "$W/$n" $n 2>&1 </dev/null); rc=$?
  echo "    rc $rc: $out"
  [ $rc -ne 0 ] || bad "run succeeded"
  [ -d "$d" ] && bad "failed create left $d"
  A state $n >/dev/null 2>&1 && bad "failed create left state"
  cleanup $n
}

begin failed_create_cpuset
fail_create badcpuset '"cpu": {"cpus": "63"}'
end

begin failed_create_unified
fail_create badunified '"unified": {"pids.max": "bogus"}'
end

begin failed_create_no_controller
fail_create badctl '"unified": {"nosuch.max": "1"}'
end

begin failed_create_missing_binary
fail_create nobin '"pids": {"limit": 15}' '"/nonexistent"'
end

begin no_leftover_cgroups
left=$(find "$CGBASE" -mindepth 1 -type d 2>/dev/null)
[ -z "$left" ] || bad "left: $left"
[ -z "$(A list -q 2>/dev/null)" ] || bad "containers left: $(A list -q)"
rmdir "$CGBASE" 2>/dev/null
end

echo "v2: $PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
