// Splitting text without iostreams: the static binary stays small (std::istringstream
// alone pulls about half a megabyte of locale code into it, and its pages into RSS).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace arca::text {

// Pieces between `sep`, empty pieces included ("a//b" -> "a", "", "b"; "" -> none).
std::vector<std::string> split(std::string_view s, char sep);

// Lines without their '\n'; a trailing newline does not add an empty line.
std::vector<std::string> lines(std::string_view s);

// Whitespace-separated words, as `stream >> word` reads them.
std::vector<std::string> words(std::string_view s);

// `s` without leading and trailing whitespace.
std::string trim(std::string_view s);

}  // namespace arca::text
