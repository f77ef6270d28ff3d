// state and list.
#include <cstdio>

#include "container.h"

namespace arca::cli {

namespace {

nlohmann::json full_state(const state::Record& record, state::Status status) {
  nlohmann::json j = state::oci_state(record, status);
  j["rootfs"] = record.rootfs;
  j["created"] = record.created;
  j["owner"] = record.owner;
  return j;
}

Result<int> show_state(const Globals& g, const std::string& id) {
  ARCA_ASSIGN(Container c, open_container(g, id, false));
  printf("%s\n", full_state(c.record, c.status).dump(2).c_str());
  return 0;
}

struct ListOptions {
  std::string format = "table";
  bool quiet = false;
};

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void print_table(const std::vector<nlohmann::json>& rows) {
  const char* keys[] = {"id", "pid", "status", "bundle", "created", "owner"};
  const char* titles[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  std::vector<std::vector<std::string>> cells;
  cells.emplace_back(std::begin(titles), std::end(titles));
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (const char* k : keys) {
      const auto& v = row.contains(k) ? row[k] : nlohmann::json(0);
      line.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    cells.push_back(std::move(line));
  }
  // Column layout as runc's tabwriter: at least 12 wide, 3 spaces of padding.
  size_t widths[6] = {};
  for (const auto& line : cells) {
    for (size_t i = 0; i < 6; ++i) widths[i] = std::max(widths[i], line[i].size() + 3);
  }
  for (const auto& line : cells) {
    std::string out;
    for (size_t i = 0; i < 6; ++i) {
      out += i == 5 ? line[i] : pad(line[i], std::max<size_t>(widths[i], 12));
    }
    printf("%s\n", out.c_str());
  }
}

Result<int> list(const Globals& g, const ListOptions& o) {
  if (o.format != "table" && o.format != "json") {
    return Error::invalid("--format: unknown format " + quote(o.format) + " (table or json)");
  }
  ARCA_ASSIGN(auto ids, state::list_ids(g.root));
  std::vector<nlohmann::json> rows;
  for (const auto& id : ids) {
    auto c = open_container(g, id, false);
    if (!c) continue;  // deleted meanwhile, or not ours
    nlohmann::json row = full_state(c->record, c->status);
    if (!row.contains("pid")) row["pid"] = 0;
    // runc's list shows the owner's name where state shows "" for root.
    if (row["owner"] == "") row["owner"] = "root";
    rows.push_back(std::move(row));
  }
  if (o.quiet) {
    for (const auto& row : rows) printf("%s\n", row["id"].get<std::string>().c_str());
  } else if (o.format == "json") {
    // runc prints null for no containers; engines parse both.
    printf("%s\n", rows.empty() ? "null" : nlohmann::json(rows).dump().c_str());
  } else {
    print_table(rows);
  }
  return 0;
}

}  // namespace

void add_state_and_list(args::Command& app, Globals& g, Action& action) {
  static std::string id;
  auto* s = app.add_subcommand("state", "print the state of a container as JSON");
  s->add_option("id", id, "container id")->required();
  s->callback([&] {
    action = [&]() -> Result<int> {
      auto r = show_state(g, id);
      if (!r) return std::move(r).error().context(op("state", id));
      return r;
    };
  });

  static ListOptions list_options;
  auto* l = app.add_subcommand("list", "list containers");
  l->alias("ls");
  l->add_option("-f,--format", list_options.format, "table or json")
      ->default_text(list_options.format);
  l->add_flag("-q,--quiet", list_options.quiet, "print only ids");
  l->callback([&] {
    action = [&]() -> Result<int> {
      auto r = list(g, list_options);
      if (!r) return std::move(r).error().context("list");
      return r;
    };
  });
}

}  // namespace arca::cli
