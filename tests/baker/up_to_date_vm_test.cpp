// `bake NAME` leaves an up-to-date image alone, and `--check` names what changed. One real bake
// from a copy of the recipes and overlays, then every kind of change against it; then --force.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "baked_images.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

fs::path work_dir() { return test::test_data_dir() / "vm-run" / "up-to-date"; }

struct Setup {
  fs::path tree = work_dir() / "checkout", out = work_dir() / "out", key = work_dir() / "keys" / "operator.pub";
  fs::path override_file, cache;
  std::string bake_binary = TRUSTNET_BAKE_BINARY;
  std::vector<std::string> extra;
  std::map<std::string, std::string> env;

  std::vector<std::string> args(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> a{"env"};
    for (const auto& [k, v] : env) a.push_back(k + "=" + v);
    for (const auto& s : std::vector<std::string>{bake_binary, "node", "--recipes", (tree / "recipes").string(),
                                                  "--override", override_file.string(), "--ssh-key", key.string(),
                                                  "--out", out.string(), "--cache", cache.string(), "--accel", "tcg"})
      a.push_back(s);
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  ProcessResult check() const { return run_process(args({"--check"})); }
};

void append(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::app | std::ios::binary) << text;
}

}  // namespace

TEST_CASE("an up-to-date image is not baked again, and each kind of change to what made it is named") {
  const test::Baked& b = test::baked_images();
  fs::remove_all(work_dir());
  Setup s;
  fs::create_directories(s.tree);
  fs::copy(test::source_dir() / "recipes", s.tree / "recipes",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::copy(test::source_dir() / "overlays", s.tree / "overlays",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::create_directories(s.key.parent_path());
  fs::copy_file(b.node_override.parent_path() / "operator.pub", s.key);
  s.override_file = b.node_override;
  s.cache = b.cache;

  ProcessResult first = run_process(s.args());
  INFO(first.err);
  REQUIRE(first.exit_status == 0);
  CHECK(first.err.find("pack base root") == std::string::npos);  // the listing of this base is in the cache
  CHECK(read_text_file(s.out / "node.mtree") ==
        read_text_file(b.out / "node.mtree"));  // the same tree as the URL inputs gave
  const auto report_time = fs::last_write_time(s.out / "node.report.json");

  ProcessResult again = run_process(s.args({"--json"}));
  CHECK(again.exit_status == 0);
  CHECK(again.err == (s.out / "node.qcow2").string() + " is up to date\n");
  CHECK(nlohmann::json::parse(again.out)[0]["up_to_date"] == true);
  CHECK(fs::last_write_time(s.out / "node.report.json") == report_time);

  // A bake killed with SIGKILL left its temporaries: an up-to-date run removes them (the lock is
  // free, so no bake of them runs), says so, and still bakes nothing.
  const fs::path left = s.out / ".node.qcow2.tmp-999999999-0123456789abcdef";
  std::ofstream(left) << "half an image";
  ProcessResult cleaned = run_process(s.args());
  CHECK(cleaned.exit_status == 0);
  CHECK(cleaned.err == "bake node: removed " + left.string() + ", left behind by a bake that was killed\n" +
                           (s.out / "node.qcow2").string() + " is up to date\n");
  CHECK_FALSE(fs::exists(left));
  CHECK(fs::last_write_time(s.out / "node.report.json") == report_time);

  // What does not change the image does not count: file times, another checkout, a key file with
  // the same content elsewhere.
  fs::last_write_time(s.tree / "recipes/node.yaml", fs::file_time_type::clock::now());
  fs::last_write_time(s.tree / "overlays/common/etc/motd", fs::file_time_type::clock::now());
  CHECK(s.check().exit_status == 0);
  {
    Setup moved = s;
    fs::copy(s.tree, work_dir() / "elsewhere", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    moved.tree = work_dir() / "elsewhere";
    fs::create_directories(work_dir() / "other-keys");
    fs::copy_file(s.key, work_dir() / "other-keys/operator.pub");
    moved.key = work_dir() / "other-keys/operator.pub";
    ProcessResult r = moved.check();
    CHECK_MESSAGE(r.exit_status == 0, r.out);
  }

  struct Change {
    std::string what, reason;
    std::function<void(Setup&)> apply;
  };
  const std::vector<Change> changes = {
      {"recipe", "the recipe changed",
       [](Setup& t) { append(t.tree / "recipes/include/appliance.yaml", "\n# a comment is a change\n"); }},
      {"key file", "the recipe changed",
       [](Setup& t) {
         fs::copy_file(t.key, work_dir() / "changed.pub");
         append(work_dir() / "changed.pub",
                test::operator_key.substr(0, test::operator_key.rfind(' ')) + " second-operator\n");
         t.key = work_dir() / "changed.pub";
       }},
      {"input", "the recipe changed",
       [](Setup& t) {
         std::string text = read_text_file(t.override_file);
         const auto at = text.rfind("sha256: ");
         text.replace(at + 8, 64, std::string(64, '0'));
         t.override_file = work_dir() / "other-input.yaml";
         std::ofstream(t.override_file) << text;
       }},
      {"overlay file", "an overlay file changed",
       [](Setup& t) { append(t.tree / "overlays/common/etc/motd", "changed\n"); }},
      {"overlay mode", "an overlay file changed",
       [](Setup& t) { fs::permissions(t.tree / "overlays/node/etc/trustnet/node.env", fs::perms(0755)); }},
      {"tool", "bake itself changed",
       [](Setup& t) {
         fs::copy_file(t.bake_binary, work_dir() / "bake-changed", fs::copy_options::overwrite_existing);
         append(work_dir() / "bake-changed", std::string(1, '\0'));
         t.bake_binary = (work_dir() / "bake-changed").string();
       }},
      {"SOURCE_DATE_EPOCH", "SOURCE_DATE_EPOCH changed", [](Setup& t) { t.env["SOURCE_DATE_EPOCH"] = "1700000000"; }},
      {"image", "is not the image its report names",
       [](Setup& t) {
         t.out = work_dir() / "out-image";
         fs::copy(work_dir() / "out", t.out);
         append(t.out / "node.qcow2", "x");
       }},
      {"listing", "content listing",
       [](Setup& t) {
         t.out = work_dir() / "out-listing";
         fs::copy(work_dir() / "out", t.out);
         fs::remove(t.out / "node.mtree");
       }},
      {"report", "report",
       [](Setup& t) {
         t.out = work_dir() / "out-report";
         fs::copy(work_dir() / "out", t.out);
         fs::remove(t.out / "node.report.json");
       }},
  };
  for (const auto& change : changes) {
    CAPTURE(change.what);
    fs::remove_all(work_dir() / "changed-tree");
    fs::copy(s.tree, work_dir() / "changed-tree", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    Setup t = s;
    t.tree = work_dir() / "changed-tree";
    fs::remove(work_dir() / "changed.pub");
    change.apply(t);
    ProcessResult r = t.check();
    CHECK(r.exit_status == 1);
    CHECK(r.out.find((t.out / "node.qcow2").string() + " is out of date: ") == 0);
    CHECK(r.out.find(change.reason) != std::string::npos);
    CHECK(r.err.empty());
  }
  CHECK(s.check().exit_status == 0);  // the original is untouched by all that

  ProcessResult forced = run_process(s.args({"--force"}));
  CAPTURE(forced.err);
  CHECK(forced.exit_status == 0);
  CHECK(forced.err.find("bake node: baking " + (s.out / "node.qcow2").string() + " again: --force") == 0);
  CHECK(forced.err.find("apply edits") != std::string::npos);  // baked again, not found up to date
  CHECK(fs::last_write_time(s.out / "node.report.json") != report_time);
  CHECK(s.check().exit_status == 0);
}
