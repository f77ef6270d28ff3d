// arca images: the image cache of `arca shell` (image/cache.h): list, prune.
#include <cstdio>
#include <cstdlib>

#include "image/cache.h"
#include "image/shell_root.h"
#include "verbs.h"

namespace arca::cli {

namespace {

struct ImagesOptions {
  std::string cache_dir;
  bool quiet = false;
  std::string action;
};

std::string human(uint64_t bytes) {
  char text[32];
  if (bytes >= 1000000000) {
    snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  } else if (bytes >= 1000000) {
    snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    snprintf(text, sizeof text, "%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return text;
}

Result<int> list_images(const image::Cache& cache, bool quiet) {
  ARCA_ASSIGN(auto entries, cache.list());
  if (!quiet) printf("%-19s  %-9s  %-20s  %s\n", "DIGEST", "SIZE", "CREATED", "SOURCE");
  for (const auto& e : entries) {
    if (quiet) {
      printf("%s\n", e.key.c_str());
      continue;
    }
    std::string source = e.meta.value("source", "");
    std::string name = e.meta.value("name", "");
    if (!name.empty()) source += " (" + name + ")";
    std::string created = e.meta.value("created", "");
    printf("%-19s  %-9s  %-20s  %s\n", e.key.substr(0, 19).c_str(),
           human(e.meta.value("bytes", uint64_t{0})).c_str(), created.substr(0, 19).c_str(),
           source.c_str());
  }
  return 0;
}

Result<int> run_images(const ImagesOptions& o) {
  std::string work = image::work_dir(o.cache_dir);
  ARCA_ASSIGN(image::Cache cache, image::Cache::open(work + "/images"));
  if (o.action.empty() || o.action == "list") return list_images(cache, o.quiet);
  if (o.action != "prune") {
    return Error::invalid("unknown action " + quote(o.action) + " (list or prune)");
  }
  // Exclusive: no shell is between resolving an entry and pinning it meanwhile.
  ARCA_ASSIGN(UniqueFd lock, cache.lock(true));
  ARCA_ASSIGN(image::PruneStats stats,
              cache.prune(image::ShellRoot::images_in_use(work + "/shells")));
  printf("removed %d image(s), kept %d in use, removed %d abandoned import(s)\n", stats.removed,
         stats.kept, stats.temps);
  return 0;
}

}  // namespace

void add_images(args::Command& app, Globals&, Action& action) {
  static ImagesOptions o;
  auto* s = app.add_subcommand(
      "images",
      "list the images `arca shell` has unpacked; `arca images prune` removes those no\n"
      "running shell uses, and abandoned imports");
  s->add_option("--cache-dir", o.cache_dir,
                "image cache and scratch space (default: $ARCA_CACHE_DIR, else /var/lib/arca)");
  s->add_flag("-q,--quiet", o.quiet, "only the digests");
  // An operand rather than a subcommand: plain `arca images` lists.
  s->add_option("action", o.action,
                "list (the default), or prune: remove every image no running shell uses, and "
                "abandoned imports");
  s->callback([&action] {
    action = []() -> Result<int> {
      auto r = run_images(o);
      if (!r) return std::move(r).error().context("images");
      return r;
    };
  });
}

}  // namespace arca::cli
