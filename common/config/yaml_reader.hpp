#pragma once
// Strict reading of YAML mappings: every key must be known, every value of the expected shape,
// and every complaint carries file:line:column.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/text_values.hpp"

namespace trustnet {

// Parses a YAML file; syntax errors become Errors with their position.
// Recipes, their includes and launcher configurations are small: a larger file is refused unread.
constexpr uint64_t kYamlFileLimit = 16 << 20;
YAML::Node load_yaml_file(const std::filesystem::path& file);
// The same of `text` already read from `file` (one read: what is digested is what is parsed).
YAML::Node parse_yaml_text(const std::string& text, const std::filesystem::path& file);

// A rule a value is held to (see common/config/rules.hpp): its problem, or nothing.
using Rule = std::function<Problem(std::string_view)>;

// Throws the problem `rule` finds with `value` as an Error at `where`.
void hold(const SourceLocation& where, std::string_view value, const Rule& rule);

class YamlMap {
 public:
  // `what` names the mapping in messages ("recipe", "users.warden"). Unknown and duplicate keys
  // are reported here, at the key.
  YamlMap(const YAML::Node& node, std::string file, std::string what,
          std::initializer_list<std::string_view> allowed_keys);

  bool has(std::string_view key) const;
  YAML::Node get(std::string_view key) const;      // undefined node when absent
  YAML::Node require(std::string_view key) const;  // error at the mapping when absent

  std::string string(std::string_view key) const;  // required scalar
  std::optional<std::string> optional_string(std::string_view key) const;
  // One printable line (paths, command lines): a control character is an error at the value,
  // since it would reach a command line, a file or an XML document another program reads.
  std::string line(std::string_view key) const;
  std::optional<std::string> optional_line(std::string_view key) const;
  std::optional<bool> optional_bool(std::string_view key) const;
  std::optional<uint32_t> optional_uint(std::string_view key, uint32_t max) const;
  std::vector<std::string> string_list(std::string_view key) const;  // empty when absent
  // The same, each value held to `rule`: one that breaks it is an error at that value.
  std::string string(std::string_view key, const Rule& rule) const;
  std::optional<std::string> optional_string(std::string_view key, const Rule& rule) const;
  std::vector<std::string> string_list(std::string_view key, const Rule& rule) const;

  SourceLocation at(const YAML::Node& node) const;
  SourceLocation at_key(std::string_view key) const;  // the key's value, or the mapping
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;
  [[noreturn]] void fail_key(std::string_view key, const std::string& message) const;

  const std::string& file() const { return file_; }
  const std::string& what() const { return what_; }
  const YAML::Node& node() const { return node_; }

  // Ordered entries of a nested mapping, for sections keyed by name; `where` is the key's position.
  struct Entry {
    std::string name;
    YAML::Node value;
    SourceLocation where;
  };
  std::vector<Entry> entries(std::string_view key) const;
  std::string scalar(const YAML::Node& node, std::string_view what) const;
  std::string scalar(const YAML::Node& node, std::string_view what, const Rule& rule) const;

 private:
  YAML::Node node_;
  std::string file_;
  std::string what_;
};

SourceLocation location_of(const YAML::Node& node, const std::string& file);

}  // namespace trustnet
