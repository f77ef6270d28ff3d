// The command-line parser: runc's shape (global flags, a verb, the verb's flags and
// operands) in a few hundred lines, with no iostreams (a general-purpose parser pulls in
// half a megabyte of locale code, which every start of arca would map and page in).
//
// Flags: `--name value`, `--name=value`, `-n value`, `-nVALUE`, bundled short booleans
// (`-dq`), and Go-style single-dash long names (`-bundle x`), which runc accepts. Boolean
// flags take `=true`/`=false`. `--` ends the flags. A flag a verb does not know is looked
// up in its parent (global flags may follow the verb, as with runc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace arca::cli::args {

// What parse() did: ran the selected verb's callback, or printed help/version.
enum class Parsed { kRan, kPrinted };

// Parses one flag value into its target; errors name what was wrong with the value.
using Setter = std::function<Status(std::string_view)>;

Status assign(std::string_view value, std::string& out);
Status assign(std::string_view value, std::vector<std::string>& out);  // appends
Status assign(std::string_view value, int& out);
Status assign(std::string_view value, int64_t& out);
Status assign(std::string_view value, uint64_t& out);
Status assign(std::string_view value, double& out);
Status assign(std::string_view value, bool& out);  // true/false/1/0

class Option {
 public:
  Option(std::string names, std::string description, Setter set, bool takes_value, bool many);
  Option* required() {
    required_ = true;
    return this;
  }
  // Shows the target's value at registration in --help.
  Option* default_text(std::string text) {
    default_ = std::move(text);
    return this;
  }

  bool positional() const { return long_names_.empty() && short_names_.empty(); }
  bool matches_long(std::string_view name) const;
  bool matches_short(char c) const;
  const std::string& display_name() const { return display_; }

 private:
  friend class Command;
  friend struct Parser;
  std::vector<std::string> long_names_;
  std::string short_names_;
  std::string display_;  // "--bundle", or the operand name in upper case
  std::string description_;
  std::string default_;
  Setter set_;
  bool takes_value_;
  bool many_;  // a positional that takes every remaining operand
  bool required_ = false;
  bool seen_ = false;
};

class Command {
 public:
  Command(std::string name, std::string description, Command* parent = nullptr);

  Command* add_subcommand(std::string name, std::string description);
  Command* alias(std::string name) {
    aliases_.push_back(std::move(name));
    return this;
  }

  // names: "-b,--bundle" for a flag, "id" for an operand (in the order added).
  template <class T>
  Option* add_option(const std::string& names, T& target, std::string description) {
    return add(names, std::move(description),
               [&target](std::string_view v) { return assign(v, target); }, true,
               is_list<T>::value);
  }
  // A flag accepted and ignored (runc compatibility).
  Option* add_option(const std::string& names, std::string description) {
    return add(names, std::move(description), [](std::string_view) { return Status(); }, true,
               false);
  }
  Option* add_flag(const std::string& names, bool& target, std::string description) {
    return add(names, std::move(description),
               [&target](std::string_view v) { return assign(v, target); }, false, false);
  }

  Command* callback(std::function<void()> fn) {
    callback_ = std::move(fn);
    return this;
  }
  // From the first operand on, everything is an operand (`exec ID CMD -c ...`).
  Command* operands_end_flags() {
    operands_end_flags_ = true;
    return this;
  }
  void set_version(std::string text) { version_ = std::move(text); }

  const std::string& name() const { return name_; }
  std::string path() const;  // "arca create"
  std::string help() const;

 private:
  template <class T>
  struct is_list : std::false_type {};
  template <class T>
  struct is_list<std::vector<T>> : std::true_type {};

  Option* add(const std::string& names, std::string description, Setter set, bool takes_value,
              bool many);
  Command* find_subcommand(std::string_view name);
  Option* find_long(std::string_view name);
  Option* find_short(char c);

  friend struct Parser;
  friend Result<Parsed> parse(Command& root, int argc, char** argv);
  std::string name_;
  std::string description_;
  Command* parent_;
  std::vector<std::string> aliases_;
  std::vector<std::unique_ptr<Option>> options_;
  std::vector<std::unique_ptr<Command>> subcommands_;
  std::function<void()> callback_;
  std::string version_;
  bool operands_end_flags_ = false;
};

// Parses argv against `root` and runs the selected command's callback. Errors read
// `create: unknown flag "--bundel"` and are meant for "arca: <error>" and exit status 2.
Result<Parsed> parse(Command& root, int argc, char** argv);

}  // namespace arca::cli::args
