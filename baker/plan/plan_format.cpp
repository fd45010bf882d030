#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "baker/plan/plan.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::baker {
namespace {

std::string owner_text(const Owner& owner) { return fmt::format("{}:{}", owner.user, owner.group); }
std::string mode_text(uint32_t mode) { return fmt::format("{:04o}", mode); }

std::string user_summary(const UserSpec& user) {
  const std::string groups = fmt::format("{}", fmt::join(user.groups, ","));
  return fmt::format("{} (uid {}, gid {}, shell {}, groups {}, {} SSH key{})", user.name, user.uid, user.primary_gid(),
                     user.shell, groups.empty() ? "-" : groups, user.ssh_keys.size(),
                     user.ssh_keys.size() == 1 ? "" : "s");
}

std::string source_text(const InstallFile& s) {
  if (!s.source.empty()) return s.source.string();
  return s.url.value_or("?");
}

}  // namespace

std::string describe(const Step& step) {
  return std::visit(
      overloaded{
          [](const RequirePrograms& s) {
            return fmt::format("require   {}  (on the base's PATH, or the bake is refused)", fmt::join(s.names, " "));
          },
          [](const RemoveFiles& s) { return fmt::format("remove    {}  ({})", s.pattern, s.why); },
          [](const EmptyFile& s) { return fmt::format("empty     {}  (if present)", s.path); },
          [](const DisableCloudInit& s) {
            return fmt::format("cloud-init off  (remove its runlevel links, write {})", s.marker);
          },
          [](const UpdateAccounts& s) {
            std::string text = "accounts  /etc/passwd /etc/group /etc/shadow:";
            for (const auto& name : s.remove) text += " remove " + name + " (with its home and group memberships);";
            for (const auto& user : s.users) text += " " + user_summary(user);
            return text;
          },
          [](const MakeDirectory& s) {
            return fmt::format("mkdir     {}  {} {}", s.path, mode_text(s.mode), owner_text(s.owner));
          },
          [](const WriteFile& s) {
            return fmt::format("write     {}  {} {}  {} bytes sha256:{}", s.path, mode_text(s.mode),
                               owner_text(s.owner), s.content.size(), sha256_hex(s.content).substr(0, 16));
          },
          [](const InstallFile& s) {
            std::string pin =
                s.sha256.empty() ? "UNPINNED (" + s.unpinned_reason + ")" : "sha256:" + s.sha256.substr(0, 16);
            std::string member = s.member ? " member " + *s.member : "";
            return fmt::format("install   {}  {} {}  from {}{} {}", s.path, mode_text(s.mode), owner_text(s.owner),
                               source_text(s), member, pin);
          },
          [](const MakeSymlink& s) { return fmt::format("symlink   {} -> {}", s.link, s.target); },
          [](const IncludeSshdDropins&) {
            return fmt::format("edit      /etc/ssh/sshd_config  (Include /etc/ssh/sshd_config.d/*.conf first)");
          },
          [](const UnpackOverlay& s) {
            std::string named;
            for (const auto& [path, mode] : s.modes) named += fmt::format(", {} {}", path, mode_text(mode));
            return fmt::format("overlay   {} -> {}  {} (files 0644 or 0755, folders 0755{})", s.source.string(),
                               s.destination, owner_text(s.owner), named);
          },
      },
      step);
}

std::string format_plan(const Plan& plan) {
  std::string text =
      fmt::format("plan for {} (hostname {}, recipe sha256:{})\n", plan.name, plan.hostname, plan.recipe_digest);
  text += fmt::format("base      {}  sha256:{}\n",
                      plan.base.path ? plan.base.path->string() : plan.base.url.value_or("?"), plan.base.sha256);
  text += fmt::format("disk      {} (root partition and ext4 grown to fill it)\n", format_size(plan.disk_size));
  for (size_t i = 0; i < plan.steps.size(); ++i) text += fmt::format("{:3}  {}\n", i + 1, describe(plan.steps[i]));
  return text;
}

std::string plan_to_json(const Plan& plan) {
  using nlohmann::json;
  json steps = json::array();
  auto owner_json = [](const Owner& o) { return json{{"user", o.user}, {"group", o.group}}; };
  for (const auto& step : plan.steps) {
    steps.push_back(std::visit(
        overloaded{
            [](const RequirePrograms& s) {
              return json{{"op", "require-programs"}, {"programs", s.names}, {"path", s.path}};
            },
            [](const RemoveFiles& s) {
              return json{{"op", "remove"}, {"pattern", s.pattern}, {"why", s.why}};
            },
            [](const EmptyFile& s) {
              return json{{"op", "empty"}, {"path", s.path}};
            },
            [](const DisableCloudInit& s) {
              return json{{"op", "disable-cloud-init"}, {"links", s.link_patterns}, {"marker", s.marker}};
            },
            [](const UpdateAccounts& s) {
              json users = json::array();
              for (const auto& u : s.users)
                users.push_back({{"name", u.name},
                                 {"uid", u.uid},
                                 {"gid", u.primary_gid()},
                                 {"home", u.home_dir()},
                                 {"shell", u.shell},
                                 {"groups", u.groups},
                                 {"ssh_keys", u.ssh_keys.size()}});
              return json{{"op", "accounts"}, {"users", users}, {"remove", s.remove}};
            },
            [&](const MakeDirectory& s) {
              return json{
                  {"op", "mkdir"}, {"path", s.path}, {"mode", mode_text(s.mode)}, {"owner", owner_json(s.owner)}};
            },
            [&](const WriteFile& s) {
              return json{{"op", "write"},
                          {"path", s.path},
                          {"mode", mode_text(s.mode)},
                          {"owner", owner_json(s.owner)},
                          {"size", s.content.size()},
                          {"sha256", sha256_hex(s.content)},
                          {"content", s.content}};
            },
            [&](const InstallFile& s) {
              json j{{"op", "install"},
                     {"path", s.path},
                     {"mode", mode_text(s.mode)},
                     {"owner", owner_json(s.owner)},
                     {"input", s.input}};
              if (!s.sha256.empty()) j["sha256"] = s.sha256;
              if (!s.unpinned_reason.empty()) j["unpinned"] = s.unpinned_reason;
              if (s.member) j["member"] = *s.member;
              if (!s.source.empty()) j["source"] = s.source.string();
              if (s.url) j["url"] = *s.url;
              return j;
            },
            [](const MakeSymlink& s) {
              return json{{"op", "symlink"}, {"path", s.link}, {"target", s.target}};
            },
            [](const IncludeSshdDropins&) {
              return json{{"op", "sshd-include"}, {"path", "/etc/ssh/sshd_config"}};
            },
            [&](const UnpackOverlay& s) {
              json modes = json::object();
              for (const auto& [path, mode] : s.modes) modes[path] = mode_text(mode);
              return json{{"op", "overlay"},
                          {"source", s.source.string()},
                          {"destination", s.destination},
                          {"owner", owner_json(s.owner)},
                          {"modes", modes}};
            },
        },
        step));
  }
  json base{{"sha256", plan.base.sha256}, {"format", plan.base.format}};
  if (plan.base.url) base["url"] = *plan.base.url;
  if (plan.base.path) base["path"] = plan.base.path->string();
  json doc{{"name", plan.name}, {"hostname", plan.hostname},   {"recipe_sha256", plan.recipe_digest},
           {"base", base},      {"disk_size", plan.disk_size}, {"steps", steps}};
  return doc.dump(2) + "\n";
}

}  // namespace trustnet::baker
