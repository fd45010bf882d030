#include "baker/render/accounts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/util/text_lines.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace {

using Fields = std::vector<std::string>;

Fields split(const std::string& line, char sep) {
  Fields fields;
  size_t start = 0;
  while (true) {
    size_t end = line.find(sep, start);
    fields.push_back(line.substr(start, end - start));
    if (end == std::string::npos) return fields;
    start = end + 1;
  }
}

std::string join(const Fields& fields, char sep) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? std::string(1, sep) : "") + fields[i];
  return line;
}

// A colon-separated database; lines that are not records (comments, blanks) stay untouched.
class Table {
 public:
  Table(const std::string& text, size_t field_count) : field_count_(field_count) {
    for (const std::string_view line : split_lines(text)) lines_.emplace_back(line);
  }

  Fields* find(const std::string& name) {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (!is_record(lines_[i]) || removed_.count(i)) continue;
      if (split(lines_[i], ':')[0] == name) return &edit(i);
    }
    return nullptr;
  }

  // Name of the record (other than `except`) whose field `index` equals `value`.
  std::optional<std::string> owner_of(size_t index, const std::string& value, const std::string& except) const {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (!is_record(lines_[i]) || removed_.count(i)) continue;
      auto it = edited_.find(i);
      Fields f = it != edited_.end() ? it->second : split(lines_[i], ':');
      if (f.size() > index && f[index] == value && f[0] != except) return f[0];
    }
    return std::nullopt;
  }

  std::vector<Fields*> records() {
    std::vector<Fields*> all;
    for (size_t i = 0; i < lines_.size(); ++i)
      if (is_record(lines_[i]) && !removed_.count(i)) all.push_back(&edit(i));
    return all;
  }

  // The record's line disappears from text(); other lines keep their places.
  bool remove(const std::string& name) {
    for (size_t i = 0; i < lines_.size(); ++i)
      if (!removed_.count(i) && is_record(lines_[i]) && split(lines_[i], ':')[0] == name) {
        removed_.insert(i);
        return true;
      }
    return false;
  }

  void append(Fields fields) {
    lines_.push_back(join(fields, ':'));
    edited_[lines_.size() - 1] = std::move(fields);
  }

  std::string text() {
    std::string out;
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (removed_.count(i)) continue;
      auto it = edited_.find(i);
      out += (it != edited_.end() ? join(it->second, ':') : lines_[i]) + "\n";
    }
    return out;
  }

 private:
  static bool is_record(const std::string& line) {
    return !line.empty() && line[0] != '#' && line.find(':') != std::string::npos;
  }

  Fields& edit(size_t i) {
    auto it = edited_.find(i);
    if (it == edited_.end()) {
      Fields f = split(lines_[i], ':');
      f.resize(std::max(f.size(), field_count_));
      it = edited_.emplace(i, std::move(f)).first;
    }
    return it->second;
  }

  std::vector<std::string> lines_;
  std::map<size_t, Fields> edited_;
  std::set<size_t> removed_;
  size_t field_count_;
};

void set_passwd(Table& passwd, const UserSpec& user) {
  std::string uid = std::to_string(user.uid);
  if (auto other = passwd.owner_of(2, uid, user.name))
    throw Error(fmt::format("uid {} of user {} is already used by '{}' in /etc/passwd", uid, user.name, *other));
  Fields fields = {user.name, "x", uid, std::to_string(user.primary_gid()), user.gecos, user.home_dir(), user.shell};
  // Same name and uid: the recipe's own user from an earlier bake, updated. Another uid: an
  // account of the base (sshd, nobody...) that the recipe must not take over.
  if (Fields* existing = passwd.find(user.name); existing && (*existing)[2] != uid)
    throw Error(
        fmt::format("recipe user {} (uid {}) clashes with the base's account '{}' in /etc/passwd; choose another name",
                    user.name, uid, join(*existing, ':')));
  if (Fields* existing = passwd.find(user.name))
    *existing = fields;
  else
    passwd.append(fields);
}

void set_groups(Table& group, const UserSpec& user) {
  std::string gid = std::to_string(user.primary_gid());
  if (Fields* primary = group.find(user.name)) {
    if ((*primary)[2] != gid)
      throw Error(fmt::format(
          "the group of recipe user {} (gid {}) clashes with the base's group '{}' in /etc/group; choose another name",
          user.name, gid, join(*primary, ':')));
    if (auto other = group.owner_of(2, gid, user.name))
      throw Error(fmt::format("gid {} of group {} is already used by '{}' in /etc/group", gid, user.name, *other));
    (*primary)[2] = gid;
  } else if (auto other = group.owner_of(2, gid, user.name)) {
    throw Error(
        fmt::format("gid {} for the group of user {} is already used by '{}' in /etc/group", gid, user.name, *other));
  } else {
    group.append({user.name, "x", gid, ""});
  }
  for (const auto& wanted : user.groups)
    if (!group.find(wanted))
      throw Error(fmt::format("group '{}' of user {} does not exist in the image's /etc/group", wanted, user.name));
  // Membership is exactly what the recipe lists: the image must not keep stale privileges.
  for (Fields* record : group.records()) {
    Fields members = (*record)[3].empty() ? Fields{} : split((*record)[3], ',');
    bool wanted = std::find(user.groups.begin(), user.groups.end(), (*record)[0]) != user.groups.end();
    auto it = std::find(members.begin(), members.end(), user.name);
    if (wanted && it == members.end()) members.push_back(user.name);
    if (!wanted && it != members.end()) members.erase(it);
    (*record)[3] = join(members, ',');
  }
}

void set_shadow(Table& shadow, const UserSpec& user) {
  // '*': no password can match, yet the account is not locked, so OpenSSH accepts its keys.
  if (Fields* existing = shadow.find(user.name))
    (*existing)[1] = "*";
  else
    shadow.append({user.name, "*", "", "0", "99999", "7", "", "", ""});
}

std::optional<uint32_t> find_id(const std::string& text, const std::string& name) {
  constexpr uint64_t kMaxId = UINT32_MAX;
  if (is_decimal(name)) {
    const auto id = parse_bounded_uint(name, 0, kMaxId);
    return id ? std::optional(static_cast<uint32_t>(*id)) : std::nullopt;
  }
  Table table(text, 3);
  if (Fields* record = table.find(name))
    if (const auto id = parse_bounded_uint((*record)[2], 0, kMaxId)) return static_cast<uint32_t>(*id);
  return std::nullopt;
}

}  // namespace

AccountRemoval remove_users(const AccountFiles& files, const std::vector<std::string>& names) {
  Table passwd(files.passwd, 7), group(files.group, 4), shadow(files.shadow, 9);
  AccountRemoval result;
  for (const auto& name : names) {
    Fields* entry = passwd.find(name);
    if (!entry) {
      result.absent.push_back(name);
      continue;
    }
    RemovedUser removed{name, (*entry)[2], (*entry)[5], {}, false};
    const std::string gid = (*entry)[3];
    passwd.remove(name);
    shadow.remove(name);
    for (Fields* record : group.records()) {
      Fields members = (*record)[3].empty() ? Fields{} : split((*record)[3], ',');
      auto it = std::find(members.begin(), members.end(), name);
      if (it == members.end()) continue;
      members.erase(it);
      (*record)[3] = join(members, ',');
      if ((*record)[0] != name) removed.left_groups.push_back((*record)[0]);
    }
    // Its own group goes too, unless someone else is in it or has it as primary group.
    if (Fields* own = group.find(name); own && (*own)[2] == gid && (*own)[3].empty() && !passwd.owner_of(3, gid, name))
      removed.group_removed = group.remove(name);
    result.removed.push_back(std::move(removed));
  }
  result.files = {passwd.text(), group.text(), shadow.text()};
  return result;
}

AccountFiles apply_users(const AccountFiles& files, const std::vector<UserSpec>& users) {
  Table passwd(files.passwd, 7), group(files.group, 4), shadow(files.shadow, 9);
  for (const auto& user : users) {
    set_passwd(passwd, user);
    set_groups(group, user);
    set_shadow(shadow, user);
  }
  return {passwd.text(), group.text(), shadow.text()};
}

std::optional<uint32_t> find_uid(const std::string& passwd, const std::string& name) { return find_id(passwd, name); }
std::optional<uint32_t> find_gid(const std::string& group, const std::string& name) { return find_id(group, name); }

}  // namespace trustnet::baker
