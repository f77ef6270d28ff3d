/*
 * arca-probe: runs inside a container and prints ONE JSON object on stdout
 * describing what the process sees.  Static, no dependencies.
 *
 * Usage:  /probe [CHECK ...]
 *
 * The report always contains the base fields:
 *   pid, ppid, uid [real,eff,saved], gid [real,eff,saved], groups [..],
 *   umask ("0022" from /proc/self/status), cwd, hostname, domainname,
 *   caps {CapInh,CapPrm,CapEff,CapBnd,CapAmb} (hex strings as in status),
 *   no_new_privs (int), seccomp (int), sigblk, sigign (hex strings),
 *   rlimits {"RLIMIT_NOFILE": [soft, hard], ...} (-1 = unlimited),
 *   env [..], argv [..], fds {"0": "readlink target", ...} (the fd used to
 *   list /proc/self/fd is excluded), oom_score_adj (int),
 *   mounts [{id, parent, root, mountpoint, options, fstype, source,
 *            super_options}] (from /proc/self/mountinfo, in order),
 *   ns {"net": "net:[4026...]", ...} (readlink of each /proc/self/ns entry),
 *   uid_map, gid_map (file contents), cgroup (contents of /proc/self/cgroup)
 * plus "checks": a list with one object per CHECK, in argv order.
 *
 * CHECKs (each consumes its argument):
 *   write PATH     open(PATH, O_WRONLY|O_CREAT, 0644) -> {"op","path","result"}
 *                  result is "ok" or the errno name ("EROFS", "EACCES", ...)
 *   read PATH      read up to 64 KiB -> {"result", "data"}
 *   stat PATH      lstat -> {"result","type"(file|dir|chr|blk|fifo|sock|link),
 *                  "mode" (octal string of permission bits), "major","minor",
 *                  "uid","gid","target" (for links), "size"}
 *   sysctl KEY     read /proc/sys/KEY (dots -> slashes), trailing \n stripped
 *   ls DIR         sorted entry names (no . and ..) -> {"result","entries"}
 *   exec PATH      execve(PATH) in a forked child: result "ok" or errno name
 *                  (child exits immediately if exec succeeds; use /bin/true)
 *   mkdir PATH     mkdir(PATH, 0755) -> result
 * Deferred actions, executed in argv order AFTER the report is printed and
 * stdout flushed:
 *   sleep SECS     sleep (integer seconds)
 *   kill-self SIG  kill(getpid(), SIG) (number).  NOTE: as pid 1 of a pid
 *                  namespace the kernel ignores such self-sent signals
 *                  (even 9), so for SIG 11 the probe then faults for real
 *                  (SIGSEGV kills an init too); otherwise it exits 100.
 *   exit N         exit with status N
 * Without a deferred exit the probe exits 0.
 * Unknown words produce a check {"op": WORD, "result": "EUNKNOWN"}.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *out;
static size_t out_len, out_cap;

static void put(const char *s, size_t n) {
  if (out_len + n + 1 > out_cap) {
    size_t cap = out_cap ? out_cap : 65536;
    while (out_len + n + 1 > cap) cap *= 2;
    char *p = realloc(out, cap);
    if (!p) _exit(99);
    out = p;
    out_cap = cap;
  }
  memcpy(out + out_len, s, n);
  out_len += n;
  out[out_len] = 0;
}
static void puts_(const char *s) { put(s, strlen(s)); }
static void putf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void putf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  put(buf, (size_t)n);
}

/* JSON string; bytes >= 0x80 escaped as \u00XX so output is always valid. */
static void jstr_n(const char *s, size_t n) {
  puts_("\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') puts_("\\\"");
    else if (c == '\\') puts_("\\\\");
    else if (c == '\n') puts_("\\n");
    else if (c == '\t') puts_("\\t");
    else if (c == '\r') puts_("\\r");
    else if (c < 0x20 || c >= 0x7f) putf("\\u%04x", c);
    else put((const char *)&c, 1);
  }
  puts_("\"");
}
static void jstr(const char *s) {
  if (!s) puts_("null");
  else jstr_n(s, strlen(s));
}
static void key(const char *k) {
  jstr(k);
  puts_(":");
}

static const char *errname(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
    E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
    E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
    E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
    E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY)
    E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(EDQUOT)
#undef E
  default: return "EOTHER";
  }
}

/* Read a whole small file (procfs friendly). Returns malloc'd buffer or NULL. */
static char *slurp(const char *path, size_t max, size_t *len_out, int *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (err) *err = errno;
    return NULL;
  }
  char *buf = malloc(max + 1);
  size_t len = 0;
  while (len < max) {
    ssize_t n = read(fd, buf + len, max - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (err) *err = errno;
      close(fd);
      free(buf);
      return NULL;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  if (len_out) *len_out = len;
  if (err) *err = 0;
  return buf;
}

static char *status_txt;
/* Value of a "Key:\tvalue" line from /proc/self/status (static buffer). */
static const char *status_field(const char *name) {
  static char val[256];
  if (!status_txt) return NULL;
  size_t nl = strlen(name);
  for (char *p = status_txt; p && *p;) {
    if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
      char *v = p + nl + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t i = 0;
      while (v[i] && v[i] != '\n' && i < sizeof val - 1) {
        val[i] = v[i];
        i++;
      }
      val[i] = 0;
      return val;
    }
    p = strchr(p, '\n');
    if (p) p++;
  }
  return NULL;
}

static void field_str_status(const char *jsonkey, const char *name) {
  key(jsonkey);
  jstr(status_field(name));
}

static void field_file(const char *jsonkey, const char *path) {
  key(jsonkey);
  size_t len;
  char *b = slurp(path, 65536, &len, NULL);
  if (!b) puts_("null");
  else jstr_n(b, len);
  free(b);
}

static void put_rlimits(void) {
  static const struct { const char *n; int r; } lim[] = {
    {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
  };
  key("rlimits");
  puts_("{");
  for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
    struct rlimit rl;
    if (i) puts_(",");
    key(lim[i].n);
    if (getrlimit(lim[i].r, &rl) != 0) {
      puts_("null");
      continue;
    }
    long long s = rl.rlim_cur == RLIM_INFINITY ? -1 : (long long)rl.rlim_cur;
    long long h = rl.rlim_max == RLIM_INFINITY ? -1 : (long long)rl.rlim_max;
    putf("[%lld,%lld]", s, h);
  }
  puts_("}");
}

static void put_strv(const char *k, char **v, int n) {
  key(k);
  puts_("[");
  for (int i = 0; (n < 0 ? v[i] != NULL : i < n); i++) {
    if (i) puts_(",");
    jstr(v[i]);
  }
  puts_("]");
}

static void put_fds(void) {
  key("fds");
  puts_("{");
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    int self = dirfd(d);
    struct dirent *e;
    int first = 1;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      if (atoi(e->d_name) == self) continue;
      char p[300], t[PATH_MAX];
      snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink(p, t, sizeof t - 1);
      t[n < 0 ? 0 : n] = 0;
      if (!first) puts_(",");
      first = 0;
      key(e->d_name);
      jstr(t);
    }
    closedir(d);
  }
  puts_("}");
}

static void put_ns(void) {
  static const char *names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                "time", "time_for_children", "user", "uts"};
  key("ns");
  puts_("{");
  int first = 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char p[300], t[256];
    snprintf(p, sizeof p, "/proc/self/ns/%s", names[i]);
    ssize_t n = readlink(p, t, sizeof t - 1);
    if (n < 0) continue;
    t[n] = 0;
    if (!first) puts_(",");
    first = 0;
    key(names[i]);
    jstr(t);
  }
  puts_("}");
}

/* Un-escape the \040-style octal escapes of mountinfo in place. */
static void unoctal(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
}

static void put_mounts(void) {
  key("mounts");
  puts_("[");
  size_t len;
  char *b = slurp("/proc/self/mountinfo", 1 << 20, &len, NULL);
  int first = 1;
  for (char *line = b; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
    char *f[32];
    int nf = 0;
    for (char *tok = strtok(line, " "); tok && nf < 32; tok = strtok(NULL, " ")) f[nf++] = tok;
    int dash = -1;
    for (int i = 6; i < nf; i++)
      if (strcmp(f[i], "-") == 0) {
        dash = i;
        break;
      }
    if (nf >= 6 && dash > 0 && dash + 3 <= nf) {
      unoctal(f[3]);
      unoctal(f[4]);
      unoctal(f[dash + 2]);
      if (!first) puts_(",");
      first = 0;
      puts_("{");
      key("id"); putf("%s,", f[0]);
      key("parent"); putf("%s,", f[1]);
      key("root"); jstr(f[3]); puts_(",");
      key("mountpoint"); jstr(f[4]); puts_(",");
      key("options"); jstr(f[5]); puts_(",");
      key("optional"); puts_("[");
      for (int i = 6; i < dash; i++) {
        if (i > 6) puts_(",");
        jstr(f[i]);
      }
      puts_("],");
      key("fstype"); jstr(f[dash + 1]); puts_(",");
      key("source"); jstr(f[dash + 2]); puts_(",");
      key("super_options"); jstr(dash + 3 < nf ? f[dash + 3] : ""); puts_("}");
    }
    line = nl ? nl + 1 : NULL;
  }
  free(b);
  puts_("]");
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_result_errno(int rc) {
  key("result");
  jstr(rc == 0 ? "ok" : errname(errno));
}

static void do_check(const char *op, const char *arg) {
  puts_("{");
  key("op"); jstr(op); puts_(",");
  key("path"); jstr(arg); puts_(",");
  if (!arg) {
    key("result"); jstr("EMISSINGARG");
  } else if (strcmp(op, "write") == 0) {
    int fd = open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    check_result_errno(fd < 0 ? -1 : 0);
    if (fd >= 0) close(fd);
  } else if (strcmp(op, "mkdir") == 0) {
    check_result_errno(mkdir(arg, 0755));
  } else if (strcmp(op, "read") == 0) {
    size_t len = 0;
    int err = 0;
    char *b = slurp(arg, 65536, &len, &err);
    key("result"); jstr(b ? "ok" : errname(err)); puts_(",");
    key("data");
    if (b) jstr_n(b, len);
    else puts_("null");
    free(b);
  } else if (strcmp(op, "sysctl") == 0) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "/proc/sys/%s", arg);
    for (char *c = p + 10; *c; c++)
      if (*c == '.') *c = '/';
    size_t len = 0;
    int err = 0;
    char *b = slurp(p, 65536, &len, &err);
    while (b && len && (b[len - 1] == '\n' || b[len - 1] == ' ')) b[--len] = 0;
    key("result"); jstr(b ? "ok" : errname(err)); puts_(",");
    key("value");
    if (b) jstr_n(b, len);
    else puts_("null");
    free(b);
  } else if (strcmp(op, "stat") == 0) {
    struct stat st;
    int rc = lstat(arg, &st);
    check_result_errno(rc);
    if (rc == 0) {
      const char *t = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir"
                    : S_ISCHR(st.st_mode) ? "chr" : S_ISBLK(st.st_mode) ? "blk"
                    : S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "sock"
                    : S_ISLNK(st.st_mode) ? "link" : "other";
      puts_(",");
      key("type"); jstr(t); puts_(",");
      key("mode"); putf("\"%04o\",", (unsigned)(st.st_mode & 07777));
      key("major"); putf("%u,", major(st.st_rdev));
      key("minor"); putf("%u,", minor(st.st_rdev));
      key("uid"); putf("%u,", (unsigned)st.st_uid);
      key("gid"); putf("%u,", (unsigned)st.st_gid);
      key("size"); putf("%lld,", (long long)st.st_size);
      char tgt[PATH_MAX];
      ssize_t n = S_ISLNK(st.st_mode) ? readlink(arg, tgt, sizeof tgt - 1) : -1;
      key("target");
      if (n >= 0) {
        tgt[n] = 0;
        jstr(tgt);
      } else {
        puts_("null");
      }
    }
  } else if (strcmp(op, "ls") == 0) {
    DIR *d = opendir(arg);
    check_result_errno(d ? 0 : -1);
    if (d) {
      char **names = NULL;
      size_t n = 0, cap = 0;
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
          cap = cap ? cap * 2 : 32;
          names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
      }
      closedir(d);
      qsort(names, n, sizeof *names, cmp_str);
      puts_(",");
      key("entries");
      puts_("[");
      for (size_t i = 0; i < n; i++) {
        if (i) puts_(",");
        jstr(names[i]);
        free(names[i]);
      }
      puts_("]");
      free(names);
    }
  } else if (strcmp(op, "exec") == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      char *av[] = {(char *)arg, NULL};
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
      }
      execve(arg, av, environ);
      _exit(200 + (errno & 0x3f) % 50);
    }
    int st = 0;
    if (pid < 0) {
      check_result_errno(-1);
    } else {
      /* The child reports errno via its exit status: 200 + errno (small errnos). */
      waitpid(pid, &st, 0);
      key("result");
      if (WIFEXITED(st) && WEXITSTATUS(st) >= 200)
        jstr(errname(WEXITSTATUS(st) - 200));
      else
        jstr("ok");
    }
  } else {
    key("result"); jstr("EUNKNOWN");
  }
  puts_("}");
}

int main(int argc, char **argv) {
  status_txt = slurp("/proc/self/status", 65536, NULL, NULL);
  puts_("{");
  key("pid"); putf("%d,", (int)getpid());
  key("ppid"); putf("%d,", (int)getppid());
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  key("uid"); putf("[%u,%u,%u],", ru, eu, su);
  key("gid"); putf("[%u,%u,%u],", rg, eg, sg);
  gid_t groups[NGROUPS_MAX];
  int ng = getgroups(NGROUPS_MAX, groups);
  key("groups"); puts_("[");
  for (int i = 0; i < ng; i++) putf(i ? ",%u" : "%u", groups[i]);
  puts_("],");
  field_str_status("umask", "Umask"); puts_(",");
  char cwd[PATH_MAX];
  key("cwd"); jstr(getcwd(cwd, sizeof cwd)); puts_(",");
  struct utsname u;
  uname(&u);
  key("hostname"); jstr(u.nodename); puts_(",");
  key("domainname"); jstr(u.domainname); puts_(",");
  key("caps"); puts_("{");
  static const char *capn[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
  for (int i = 0; i < 5; i++) {
    if (i) puts_(",");
    key(capn[i]);
    jstr(status_field(capn[i]));
  }
  puts_("},");
  key("no_new_privs"); putf("%d,", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  const char *sc = status_field("Seccomp");
  key("seccomp"); putf("%d,", sc ? atoi(sc) : -1);
  field_str_status("sigblk", "SigBlk"); puts_(",");
  field_str_status("sigign", "SigIgn"); puts_(",");
  put_rlimits(); puts_(",");
  put_strv("env", environ, -1); puts_(",");
  put_strv("argv", argv, argc); puts_(",");
  put_fds(); puts_(",");
  {
    char *b = slurp("/proc/self/oom_score_adj", 64, NULL, NULL);
    key("oom_score_adj"); putf("%d,", b ? atoi(b) : -99999);
    free(b);
  }
  put_mounts(); puts_(",");
  put_ns(); puts_(",");
  field_file("uid_map", "/proc/self/uid_map"); puts_(",");
  field_file("gid_map", "/proc/self/gid_map"); puts_(",");
  field_file("cgroup", "/proc/self/cgroup"); puts_(",");

  /* checks */
  key("checks"); puts_("[");
  int nchecks = 0;
  for (int i = 1; i < argc; i++) {
    const char *w = argv[i];
    if (!strcmp(w, "sleep") || !strcmp(w, "kill-self") || !strcmp(w, "exit")) {
      i++;
      continue;
    }
    if (nchecks++) puts_(",");
    do_check(w, i + 1 < argc ? argv[i + 1] : NULL);
    i++;
  }
  puts_("]}\n");

  /* write everything, then run deferred actions */
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(1, out + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    off += (size_t)n;
  }
  for (int i = 1; i + 1 < argc; i++) {
    const char *w = argv[i];
    int v = atoi(argv[i + 1]);
    if (!strcmp(w, "sleep")) {
      i++;
      unsigned left = (unsigned)v;
      while (left) left = sleep(left);
    } else if (!strcmp(w, "kill-self")) {
      i++;
      signal(v, SIG_DFL);
      kill(getpid(), v);
      /* A pid-namespace init ignores default-action signals it sends itself
       * (SIGKILL included); only a real fault still kills it. */
      if (v == SIGSEGV) *(volatile int *)0 = 0;
      if (v == SIGFPE) { volatile int z = 0; v = 1 / z; }
      _exit(100);
    } else if (!strcmp(w, "exit")) {
      _exit(v);
    } else {
      i++;
    }
  }
  return 0;
}
