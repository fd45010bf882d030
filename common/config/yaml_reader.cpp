#include "common/config/yaml_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "common/util/text_file.hpp"

namespace trustnet {

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

YAML::Node load_yaml_file(const std::filesystem::path& file) {
  return parse_yaml_text(read_text_file(file, kYamlFileLimit), file);
}

YAML::Node parse_yaml_text(const std::string& text, const std::filesystem::path& file) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) throw Error(SourceLocation{file.string(), 1, 1}, "the file is empty");
    return root;
  } catch (const YAML::Exception& e) {
    throw Error(SourceLocation{file.string(), e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
}

void hold(const SourceLocation& where, std::string_view value, const Rule& rule) {
  if (auto problem = rule(value)) throw Error(where, *problem);
}

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string what,
                 std::initializer_list<std::string_view> allowed_keys)
    : node_(node), file_(std::move(file)), what_(std::move(what)) {
  if (!node_.IsMap()) fail(node_, fmt::format("{} must be a mapping", what_));
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node key_node = it->first;  // a copy: it-> gives a temporary that a reference would outlive
    if (!key_node.IsScalar()) fail(key_node, fmt::format("keys of {} must be plain names", what_));
    std::string key = key_node.Scalar();
    if (!seen.insert(key).second) fail(key_node, fmt::format("duplicate key '{}' in {}", key, what_));
    if (allowed_keys.size() != 0 && std::find(allowed_keys.begin(), allowed_keys.end(), key) == allowed_keys.end()) {
      fail(key_node,
           fmt::format("unknown key '{}' in {} (expected one of: {})", key, what_, fmt::join(allowed_keys, ", ")));
    }
  }
}

bool YamlMap::has(std::string_view key) const { return static_cast<bool>(node_[std::string(key)]); }

YAML::Node YamlMap::get(std::string_view key) const { return node_[std::string(key)]; }

YAML::Node YamlMap::require(std::string_view key) const {
  YAML::Node value = get(key);
  if (!value || value.IsNull()) fail(node_, fmt::format("missing required key '{}' in {}", key, what_));
  return value;
}

std::string YamlMap::scalar(const YAML::Node& node, std::string_view what) const {
  if (!node.IsScalar()) fail(node, fmt::format("{} must be a single value", what));
  return node.Scalar();
}

std::string YamlMap::string(std::string_view key) const {
  return scalar(require(key), fmt::format("{}.{}", what_, key));
}

std::optional<std::string> YamlMap::optional_string(std::string_view key) const {
  YAML::Node value = get(key);
  if (!value) return std::nullopt;
  return scalar(value, fmt::format("{}.{}", what_, key));
}

std::optional<std::string> YamlMap::optional_line(std::string_view key) const {
  auto text = optional_string(key);
  if (!text) return std::nullopt;
  for (const char c : *text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(get(key), fmt::format("{}.{} holds a control character ({}): one printable line is expected", what_, key,
                                 printable(*text)));
  return text;
}

std::string YamlMap::line(std::string_view key) const {
  require(key);
  return *optional_line(key);
}

std::optional<bool> YamlMap::optional_bool(std::string_view key) const {
  auto text = optional_string(key);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "yes") return true;
  if (*text == "false" || *text == "no") return false;
  fail(get(key), fmt::format("{}.{} must be true or false, not '{}'", what_, key, *text));
}

std::optional<uint32_t> YamlMap::optional_uint(std::string_view key, uint32_t max) const {
  auto text = optional_string(key);
  if (!text) return std::nullopt;
  const auto value = parse_bounded_uint(*text, 0, max);
  if (!value)
    fail(get(key), fmt::format("{}.{} must be a whole number from 0 to {}, not '{}'", what_, key, max, *text));
  return static_cast<uint32_t>(*value);
}

std::vector<std::string> YamlMap::string_list(std::string_view key) const {
  YAML::Node value = get(key);
  std::vector<std::string> items;
  if (!value) return items;
  if (!value.IsSequence()) fail(value, fmt::format("{}.{} must be a list", what_, key));
  for (const auto& item : value) items.push_back(scalar(item, fmt::format("an item of {}.{}", what_, key)));
  return items;
}

std::string YamlMap::scalar(const YAML::Node& node, std::string_view what, const Rule& rule) const {
  std::string text = scalar(node, what);
  hold(at(node), text, rule);
  return text;
}

std::string YamlMap::string(std::string_view key, const Rule& rule) const {
  std::string text = string(key);
  hold(at_key(key), text, rule);
  return text;
}

std::optional<std::string> YamlMap::optional_string(std::string_view key, const Rule& rule) const {
  std::optional<std::string> text = optional_string(key);
  if (text) hold(at_key(key), *text, rule);
  return text;
}

std::vector<std::string> YamlMap::string_list(std::string_view key, const Rule& rule) const {
  std::vector<std::string> items = string_list(key);
  for (size_t i = 0; i < items.size(); ++i) hold(at(get(key)[i]), items[i], rule);
  return items;
}

std::vector<YamlMap::Entry> YamlMap::entries(std::string_view key) const {
  std::vector<Entry> result;
  YAML::Node value = get(key);
  if (!value) return result;
  if (!value.IsMap()) fail(value, fmt::format("{}.{} must be a mapping of names to settings", what_, key));
  for (auto it = value.begin(); it != value.end(); ++it) {
    std::string name = scalar(it->first, fmt::format("a key of {}", key));
    for (const auto& seen : result)
      if (seen.name == name) fail(it->first, fmt::format("duplicate key '{}' in {}", name, key));
    result.push_back({name, it->second, at(it->first)});
  }
  return result;
}

SourceLocation YamlMap::at(const YAML::Node& node) const {
  SourceLocation where = location_of(node, file_);
  return where.line > 0 ? where : location_of(node_, file_);
}

SourceLocation YamlMap::at_key(std::string_view key) const {
  YAML::Node value = get(key);
  return value ? at(value) : at(node_);
}

void YamlMap::fail(const YAML::Node& node, const std::string& message) const { throw Error(at(node), message); }

void YamlMap::fail_key(std::string_view key, const std::string& message) const { throw Error(at_key(key), message); }

}  // namespace trustnet
