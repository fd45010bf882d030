#include "baker/execute/step_runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "baker/execute/archive_member.hpp"
#include "baker/execute/image_workspace.hpp"
#include "baker/execute/overlay_tar.hpp"
#include "baker/render/accounts.hpp"
#include "baker/render/sshd.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::baker {
namespace {

struct Ids {
  uint32_t uid = 0, gid = 0;
};

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

class StepRunner {
 public:
  StepRunner(RootFilesystem& root, const ExecuteOptions& options, ExecutionResult& result, Progress& progress,
             std::string plan_name)
      : root_(root), options_(options), result_(result), progress_(progress), plan_name_(std::move(plan_name)) {}

  void run(const Step& step) {
    progress_.detail(describe(step));
    std::visit(
        overloaded{[this](const RequirePrograms& s) { require_programs(s); },
                   [this](const RemoveFiles& s) { remove(s); }, [this](const EmptyFile& s) { empty(s); },
                   [this](const DisableCloudInit& s) { disable_cloud_init(s); },
                   [this](const UpdateAccounts& s) { accounts(s); }, [this](const MakeDirectory& s) { mkdir(s); },
                   [this](const WriteFile& s) { write(s); }, [this](const InstallFile& s) { install(s); },
                   [this](const MakeSymlink& s) { symlink(s); }, [this](const IncludeSshdDropins&) { sshd_include(); },
                   [this](const UnpackOverlay& s) { overlay(s); }},
        step);
  }

 private:
  Ids resolve(const Owner& owner, const std::string& path) {
    if (!accounts_loaded_) {
      passwd_ = root_.read_file("/etc/passwd").value_or("");
      group_ = root_.read_file("/etc/group").value_or("");
      accounts_loaded_ = true;
    }
    auto uid = find_uid(passwd_, owner.user);
    if (!uid) throw Error(fmt::format("owner '{}' of {} is not a user in the image's /etc/passwd", owner.user, path));
    auto gid = find_gid(group_, owner.group);
    if (!gid) throw Error(fmt::format("group '{}' of {} is not a group in the image's /etc/group", owner.group, path));
    return {*uid, *gid};
  }

  // Parallel bakes in one process share the scratch folder: names carry the image's name.
  std::filesystem::path scratch(const std::string& name) const {
    return options_.scratch_dir / fmt::format("{}.{}", plan_name_, name);
  }

  // mkdir -p, journaling the folders it makes (0755 root, as the engines make them).
  void make_directories(const std::string& dir) {
    std::vector<std::string> missing;
    for (std::filesystem::path p = dir; p != "/" && !root_.is_dir(p.string()); p = p.parent_path()) {
      // A link where a folder is needed (a base with /etc -> elsewhere): named, never followed.
      if (root_.is_symlink(p.string()))
        throw Error(fmt::format("make {}: {} is a symbolic link in the base, where a folder must be; the bake does not "
                                "write through links of the base",
                                dir, p.string()),
                    ExitCode::bad_input);
      missing.push_back(p.string());
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      root_.mkdir(*it);
      journal(TreeEdit::directory(*it, 0755, 0, 0));
    }
  }

  void ensure_parent(const std::string& path) { make_directories(parent_dir(path)); }

  void journal(TreeEdit edit) { result_.edits.push_back(std::move(edit)); }

  // chown before chmod: changing the owner clears set-id bits.
  void set_owner_and_mode(const std::string& path, Ids ids, uint32_t mode) {
    root_.lchown(ids.uid, ids.gid, path);
    root_.chmod(mode, path);
  }

  // What the bake made, for the report and for the listing; `size` for files.
  void record(const std::string& path, TreeEdit::Kind kind, const std::string& sha256, uint32_t mode, Ids ids,
              const Owner& owner, const std::string& origin, const std::string& target = {}, uint64_t size = 0) {
    TreeEdit made = kind == TreeEdit::Kind::file        ? TreeEdit::file(path, mode, ids.uid, ids.gid, size, sha256)
                    : kind == TreeEdit::Kind::directory ? TreeEdit::directory(path, mode, ids.uid, ids.gid)
                                                        : TreeEdit::symlink(path, ids.uid, ids.gid, target);
    journal(std::move(made).because(origin, owner.user, owner.group));
    // A file rewritten in place changed under all its names.
    if (kind == TreeEdit::Kind::file)
      for (auto& other : root_.other_names(path)) journal(TreeEdit::file(other, mode, ids.uid, ids.gid, size, sha256));
  }

  void record_file(const std::string& path, const std::string& content, uint32_t mode, Ids ids, const Owner& owner,
                   const std::string& origin) {
    record(path, TreeEdit::Kind::file, sha256_hex(content), mode, ids, owner, origin, {}, content.size());
  }

  void record_existing(const std::string& path, const std::string& content, const std::string& origin) {
    RootStat st = root_.lstat(path);
    Owner names{std::to_string(st.uid), std::to_string(st.gid)};
    record_file(path, content, st.mode & 07777, {st.uid, st.gid}, names, origin);
  }

  void require_programs(const RequirePrograms& s) {
    std::vector<std::string> missing;
    for (const auto& name : s.names)
      if (std::none_of(s.path.begin(), s.path.end(), [&](const std::string& dir) {
            const std::string file = dir + "/" + name;
            return root_.exists(file) && !root_.is_dir(file);
          }))
        missing.push_back(name);
    if (!missing.empty())
      throw Error(fmt::format("the base lacks {}, which the appliance's own scripts run (the recipe's programs:): its "
                              "appliances would boot and never start what needs them; use a base that has them "
                              "(Alpine: apk add e2fsprogs openssh-keygen)",
                              fmt::join(missing, ", ")),
                  ExitCode::bad_input);
  }

  void remove(const RemoveFiles& s) {
    for (const auto& path : root_.glob(s.pattern)) {
      root_.remove(path);
      journal(TreeEdit::removed(path).because("recipe", {}, {}));
    }
  }

  void empty(const EmptyFile& s) {
    if (!root_.exists(s.path)) return;
    root_.truncate(s.path);
    RootStat st = root_.lstat(s.path);
    journal(TreeEdit::emptied(s.path, st.mode & 07777, st.uid, st.gid, sha256_hex("")).because("recipe", {}, {}));
  }

  void note(std::string text) {
    progress_.note(text);
    result_.notes.push_back(std::move(text));
  }

  void disable_cloud_init(const DisableCloudInit& s) {
    std::vector<std::string> links;
    for (const auto& pattern : s.link_patterns)
      for (const auto& path : root_.glob(pattern)) {
        root_.remove(path);
        journal(TreeEdit::removed(path).because("recipe", {}, {}));
        links.push_back(path.substr(std::string("/etc/runlevels/").size()));
      }
    const std::string marker = "# Written by bake: TrustNet instances take their identity from their seed disk.\n";
    ensure_parent(s.marker);
    root_.write_file(s.marker, marker);
    set_owner_and_mode(s.marker, {}, 0644);
    record_file(s.marker, marker, 0644, {}, Owner{}, "recipe");
    note(links.empty() ? fmt::format("cloud-init: no runlevel links in the base; wrote {}", s.marker)
                       : fmt::format("cloud-init disabled: removed runlevel links {}; wrote {}", fmt::join(links, ", "),
                                     s.marker));
  }

  void accounts(const UpdateAccounts& s) {
    AccountFiles files;
    auto required = [&](const char* path) {
      auto content = root_.read_file(path);
      if (!content) throw Error(fmt::format("the image has no {}", path));
      return *content;
    };
    files.passwd = required("/etc/passwd");
    files.group = required("/etc/group");
    files.shadow = required("/etc/shadow");
    const AccountRemoval removal = remove_users(files, s.remove);
    for (const auto& name : removal.absent) note(fmt::format("user {} is not in the base; nothing to remove", name));
    for (const auto& user : removal.removed) {
      std::string what = fmt::format("removed user {} (uid {})", user.name, user.uid);
      if (user.group_removed) what += fmt::format(", its group {}", user.name);
      for (const auto& group : user.left_groups) what += fmt::format(", its membership of {}", group);
      // Only a home under /home is the account's own to delete; /, /root or /var/... never are.
      if (std::filesystem::path(user.home).lexically_normal().parent_path() == "/home" &&
          user.home.find("..") == std::string::npos && root_.is_dir(user.home)) {
        root_.remove_tree(user.home);
        journal(TreeEdit::removed_tree(user.home).because("accounts", {}, {}));
        what += fmt::format(", its home {}", user.home);
      }
      note(what);
    }
    AccountFiles updated = apply_users(removal.files, s.users);
    // Rewritten in place, the files keep their modes and owners.
    root_.write_file("/etc/passwd", updated.passwd);
    root_.write_file("/etc/group", updated.group);
    root_.write_file("/etc/shadow", updated.shadow);
    record_existing("/etc/passwd", updated.passwd, "accounts");
    record_existing("/etc/group", updated.group, "accounts");
    record_existing("/etc/shadow", updated.shadow, "accounts");
    passwd_ = updated.passwd;
    group_ = updated.group;
    accounts_loaded_ = true;
  }

  void mkdir(const MakeDirectory& s) {
    Ids ids = resolve(s.owner, s.path);
    make_directories(s.path);
    set_owner_and_mode(s.path, ids, s.mode);
    record(s.path, TreeEdit::Kind::directory, "", s.mode, ids, s.owner, "recipe");
  }

  void write(const WriteFile& s) {
    Ids ids = resolve(s.owner, s.path);
    ensure_parent(s.path);
    root_.write_file(s.path, s.content);
    set_owner_and_mode(s.path, ids, s.mode);
    record_file(s.path, s.content, s.mode, ids, s.owner, "recipe");
  }

  void install(const InstallFile& s) {
    if (s.source.empty()) throw Error(fmt::format("binary {} has no local file; fetch its URL first", s.input));
    Ids ids = resolve(s.owner, s.path);
    // Checked again right before upload: the pin, not the file that happens to be there, decides.
    verify_sha256(s.source, s.sha256, fmt::format("binary {}", s.input));
    ensure_parent(s.path);
    std::string installed_sha256 = s.sha256;
    uint64_t size = 0;
    if (s.member) {
      TemporaryPath extracted(scratch(fmt::format("{}.member", s.input)));
      installed_sha256 = extract_member(s.source, *s.member, extracted.path());
      size = std::filesystem::file_size(extracted.path());
      root_.upload(extracted.path(), s.path);
    } else {
      size = std::filesystem::file_size(s.source);
      root_.upload(s.source, s.path);
    }
    set_owner_and_mode(s.path, ids, s.mode);
    record(s.path, TreeEdit::Kind::file, installed_sha256, s.mode, ids, s.owner, "binary " + s.input, {}, size);
  }

  void symlink(const MakeSymlink& s) {
    ensure_parent(s.link);
    root_.symlink(s.target, s.link);
    record(s.link, TreeEdit::Kind::symlink, "", 0777, {}, Owner{}, "recipe", s.target);
  }

  void sshd_include() {
    auto main_config = root_.read_file(sshd_config_path);
    std::string updated = include_sshd_dropins(main_config);
    root_.write_file(sshd_config_path, updated);
    if (!main_config) set_owner_and_mode(sshd_config_path, {}, 0644);
    record_existing(sshd_config_path, updated, "recipe");
  }

  void overlay(const UnpackOverlay& s) {
    Ids ids = resolve(s.owner, s.destination);
    TemporaryPath tar(scratch(fmt::format("overlay-{}.tar", overlay_count_++)));
    OverlayArchive archive =
        write_overlay_tar(s.source, s.destination, ids.uid, ids.gid, tar.path(), options_.source_date_epoch, s.modes);
    make_directories(s.destination);
    for (const auto& dir : archive.directories) {
      if (root_.exists(dir.path)) continue;  // folders of the base keep their modes and owners
      root_.mkdir(dir.path);
      set_owner_and_mode(dir.path, ids, dir.mode);
      record(dir.path, TreeEdit::Kind::directory, "", dir.mode, ids, s.owner, "overlay");
    }
    root_.unpack_tar(tar.path(), s.destination);
    for (const auto& entry : archive.entries) {
      bool link = entry.kind == OverlayEntry::Kind::symlink;
      record(entry.path, link ? TreeEdit::Kind::symlink : TreeEdit::Kind::file, entry.sha256, entry.mode, ids, s.owner,
             "overlay", entry.link_target, entry.size);
    }
  }

  RootFilesystem& root_;
  const ExecuteOptions& options_;
  ExecutionResult& result_;
  Progress& progress_;
  std::string plan_name_;
  bool accounts_loaded_ = false;
  std::string passwd_, group_;
  int overlay_count_ = 0;
};

}  // namespace

void apply_plan(RootFilesystem& root, const Plan& plan, const ExecuteOptions& options, ExecutionResult& result,
                Progress& progress) {
  StepRunner runner(root, options, result, progress, plan.name);
  for (const auto& step : plan.steps) {
    runner.run(step);
    interrupt::throw_if_requested();
  }
  const auto made = std::count_if(result.edits.begin(), result.edits.end(),
                                  [](const TreeEdit& edit) { return edit.made() && !edit.origin.empty(); });
  progress.phase_done("apply edits", fmt::format("{} steps, {} files", plan.steps.size(), made));
  if (!options.source_date_epoch) return;
  // Reproducible builds: what the bake wrote, and the folders it wrote into, get the time of
  // SOURCE_DATE_EPOCH instead of the bake's (symlinks keep theirs: utimens follows them).
  std::set<std::string> touched;
  for (const auto& edit : result.edits) {
    if (edit.origin.empty()) continue;
    if (edit.made())
      for (std::filesystem::path p = edit.path; !p.empty() && p != "/"; p = p.parent_path()) touched.insert(p.string());
    else
      touched.insert(std::filesystem::path(edit.path).parent_path().string());
  }
  touched.insert("/");
  for (const auto& path : touched)
    if (root.exists(path) && !root.is_symlink(path)) root.set_times(path, *options.source_date_epoch);
  progress.phase_done("set times",
                      fmt::format("{} paths to SOURCE_DATE_EPOCH {}", touched.size(), *options.source_date_epoch));
}

}  // namespace trustnet::baker
