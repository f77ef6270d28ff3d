#include "args.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "base/text.h"

namespace arca::cli::args {

namespace {

template <class T>
Status parse_integer(std::string_view value, T& out) {
  T parsed{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return Error::invalid("not an integer: " + quote(std::string(value)));
  }
  out = parsed;
  return {};
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '-') c = '_';
  }
  return s;
}

}  // namespace

Status assign(std::string_view value, std::string& out) {
  out = std::string(value);
  return {};
}

Status assign(std::string_view value, std::vector<std::string>& out) {
  out.emplace_back(value);
  return {};
}

Status assign(std::string_view value, int& out) { return parse_integer(value, out); }
Status assign(std::string_view value, int64_t& out) { return parse_integer(value, out); }
Status assign(std::string_view value, uint64_t& out) {
  if (!value.empty() && value[0] == '-') return Error::invalid("must not be negative");
  return parse_integer(value, out);
}

Status assign(std::string_view value, double& out) {
  std::string s(value);
  char* end = nullptr;
  errno = 0;
  double parsed = strtod(s.c_str(), &end);
  if (s.empty() || errno != 0 || *end != '\0') {
    return Error::invalid("not a number: " + quote(s));
  }
  out = parsed;
  return {};
}

Status assign(std::string_view value, bool& out) {
  if (value == "true" || value == "1") {
    out = true;
  } else if (value == "false" || value == "0") {
    out = false;
  } else {
    return Error::invalid("not a boolean: " + quote(std::string(value)));
  }
  return {};
}

Option::Option(std::string names, std::string description, Setter set, bool takes_value, bool many)
    : description_(std::move(description)),
      set_(std::move(set)),
      takes_value_(takes_value),
      many_(many) {
  for (const std::string& name : text::split(names, ',')) {
    if (name.rfind("--", 0) == 0) {
      long_names_.push_back(name.substr(2));
    } else if (name.size() == 2 && name[0] == '-') {
      short_names_ += name[1];
    } else {
      display_ = upper(name);
    }
  }
  if (!long_names_.empty()) display_ = "--" + long_names_.front();
  if (display_.empty()) display_ = std::string("-") + short_names_;
}

bool Option::matches_long(std::string_view name) const {
  for (const auto& n : long_names_) {
    if (n == name) return true;
  }
  return false;
}

bool Option::matches_short(char c) const { return short_names_.find(c) != std::string::npos; }

Command::Command(std::string name, std::string description, Command* parent)
    : name_(std::move(name)), description_(std::move(description)), parent_(parent) {}

Command* Command::add_subcommand(std::string name, std::string description) {
  subcommands_.push_back(std::make_unique<Command>(std::move(name), std::move(description), this));
  return subcommands_.back().get();
}

Option* Command::add(const std::string& names, std::string description, Setter set,
                     bool takes_value, bool many) {
  options_.push_back(
      std::make_unique<Option>(names, std::move(description), std::move(set), takes_value, many));
  return options_.back().get();
}

Command* Command::find_subcommand(std::string_view name) {
  for (auto& sub : subcommands_) {
    if (sub->name_ == name) return sub.get();
    for (const auto& a : sub->aliases_) {
      if (a == name) return sub.get();
    }
  }
  return nullptr;
}

// A verb's own flags first, then its parents' (global flags may follow the verb).
Option* Command::find_long(std::string_view name) {
  for (Command* c = this; c != nullptr; c = c->parent_) {
    for (auto& o : c->options_) {
      if (!o->positional() && o->matches_long(name)) return o.get();
    }
  }
  return nullptr;
}

Option* Command::find_short(char c) {
  for (Command* cmd = this; cmd != nullptr; cmd = cmd->parent_) {
    for (auto& o : cmd->options_) {
      if (!o->positional() && o->matches_short(c)) return o.get();
    }
  }
  return nullptr;
}

std::string Command::path() const {
  return parent_ == nullptr ? name_ : parent_->path() + " " + name_;
}

std::string Command::help() const {
  std::string out = "Usage: " + path();
  if (!options_.empty() || parent_ == nullptr) out += " [OPTIONS]";
  if (!subcommands_.empty()) out += " COMMAND";
  for (const auto& o : options_) {
    if (!o->positional()) continue;
    std::string operand = o->display_ + (o->many_ ? "..." : "");
    out += " " + (o->required_ ? operand : "[" + operand + "]");
  }
  out += "\n" + description_ + "\n";
  auto row = [&out](std::string left, const std::string& right) {
    left = "  " + left;
    if (left.size() < 28)
      left.resize(28, ' ');
    else
      left += "  ";
    out += left + right + "\n";
  };
  if (!subcommands_.empty()) {
    out += "\nCommands:\n";
    for (const auto& sub : subcommands_) row(sub->name_, sub->description_);
  }
  out += "\nOptions:\n";
  for (const auto& o : options_) {
    if (o->positional()) continue;
    std::string left;
    for (char c : o->short_names_) left += std::string(left.empty() ? "" : ", ") + "-" + c;
    for (const auto& n : o->long_names_) left += (left.empty() ? "--" : ", --") + n;
    if (o->takes_value_) left += " VALUE";
    std::string right = o->description_;
    if (!o->default_.empty()) right += " (default: " + o->default_ + ")";
    row(left, right);
  }
  row("-h, --help", "show this help");
  if (!version_.empty()) row("-v, --version", "print the version");
  if (parent_ != nullptr) out += "\nGlobal options: see `" + parent_->path() + " --help`.\n";
  return out;
}

struct Parser {
  Command* cmd;
  int argc;
  char** argv;
  int i = 1;
  size_t operand = 0;  // index among cmd's positional options
  bool only_operands = false;

  static Status set(Option* o, std::string_view value) {
    o->seen_ = true;
    auto s = o->set_(value);
    if (!s) return std::move(s).error().context("flag " + o->display_);
    return {};
  }

  Result<std::string_view> value_for(Option* o) {
    if (i + 1 >= argc) return Error::invalid("flag " + o->display_ + " needs a value");
    return std::string_view(argv[++i]);
  }

  Status unknown(std::string_view arg) {
    return Error::invalid("unknown flag " + quote(std::string(arg)) + " (see `" + cmd->path() +
                          " --help`)");
  }

  Status long_flag(std::string_view arg, std::string_view body) {
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    Option* o = cmd->find_long(name);
    if (o == nullptr) return unknown(arg);
    if (eq != std::string_view::npos) return set(o, body.substr(eq + 1));
    if (!o->takes_value_) return set(o, "true");
    ARCA_ASSIGN(std::string_view value, value_for(o));
    return set(o, value);
  }

  Status short_flags(std::string_view arg, std::string_view body) {
    for (size_t k = 0; k < body.size(); ++k) {
      Option* o = cmd->find_short(body[k]);
      if (o == nullptr) return unknown(arg);
      if (!o->takes_value_) {
        ARCA_TRY(set(o, "true"));
        continue;
      }
      std::string_view rest = body.substr(k + 1);
      if (!rest.empty() && rest[0] == '=') rest.remove_prefix(1);
      if (!rest.empty()) return set(o, rest);
      ARCA_ASSIGN(std::string_view value, value_for(o));
      return set(o, value);
    }
    return {};
  }

  Status flag(std::string_view arg) {
    if (arg.rfind("--", 0) == 0) return long_flag(arg, arg.substr(2));
    std::string_view body = arg.substr(1);
    // Go's flag package (runc's) takes long names after one dash too.
    if (body.size() > 1 && cmd->find_long(body.substr(0, body.find('='))) != nullptr) {
      return long_flag(arg, body);
    }
    return short_flags(arg, body);
  }

  Status operand_arg(std::string_view arg) {
    if (!cmd->subcommands_.empty()) {
      Command* sub = cmd->find_subcommand(arg);
      if (sub == nullptr) {
        return Error::invalid("unknown command " + quote(std::string(arg)) + " (see `" +
                              cmd->path() + " --help`)");
      }
      cmd = sub;
      operand = 0;
      return {};
    }
    size_t n = 0;
    for (auto& o : cmd->options_) {
      if (!o->positional()) continue;
      if (n++ != operand) continue;
      if (!o->many_) ++operand;
      if (cmd->operands_end_flags_) only_operands = true;
      return set(o.get(), arg);
    }
    return Error::invalid("unexpected argument " + quote(std::string(arg)) + " (see `" +
                          cmd->path() + " --help`)");
  }

  Status finish() {
    if (!cmd->subcommands_.empty()) {
      return Error::invalid("no command given (see `" + cmd->path() + " --help`)");
    }
    for (auto& o : cmd->options_) {
      if (o->required_ && !o->seen_) return Error::invalid("missing " + o->display_);
    }
    return {};
  }
};

Result<Parsed> parse(Command& root, int argc, char** argv) {
  Parser p{&root, argc, argv};
  auto fail = [&p](Error e) -> Error {
    return p.cmd->parent_ == nullptr ? std::move(e) : std::move(e).context(p.cmd->name());
  };
  for (; p.i < argc; ++p.i) {
    std::string_view arg = argv[p.i];
    if (!p.only_operands && arg == "--") {
      p.only_operands = true;
      continue;
    }
    if (p.only_operands || arg.size() < 2 || arg[0] != '-') {
      if (auto s = p.operand_arg(arg); !s) return fail(std::move(s).error());
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      fputs(p.cmd->help().c_str(), stdout);
      return Parsed::kPrinted;
    }
    if (p.cmd == &root && !root.version_.empty() &&
        (arg == "-v" || arg == "--version" || arg == "-version")) {
      printf("%s\n", root.version_.c_str());
      return Parsed::kPrinted;
    }
    if (auto s = p.flag(arg); !s) return fail(std::move(s).error());
  }
  if (auto s = p.finish(); !s) return fail(std::move(s).error());
  if (p.cmd->callback_) p.cmd->callback_();
  return Parsed::kRan;
}

}  // namespace arca::cli::args
