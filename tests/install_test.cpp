// `cmake --install` as a packager runs it (into a DESTDIR): what lands where, and that the
// installed programs, recipes and host files work from there.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "common/cli/install_paths.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/config/launch_config.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

TEST_CASE(
    "cmake --install puts the programs, recipes, overlays, host configuration and service files in their places and "
    "they work there") {
  test::TempDir dir;
  const fs::path root = dir / "root";
  const fs::path build = fs::path(TRUSTNET_TEST_DATA_DIR).parent_path();
  const ProcessResult install = run_process({"env", "DESTDIR=" + root.string(), "cmake", "--install", build.string()});
  REQUIRE_MESSAGE(install.exit_status == 0, install.err);
  auto in_root = [&](const fs::path& path) { return root / path.relative_path(); };

  const fs::path prefix =
      fs::path(install_paths::recipes()).parent_path().parent_path().parent_path();  // DATADIR/trustnet/recipes
  const fs::path bin = in_root(prefix / "bin");
  CHECK(run_checked({(bin / "bake").string(), "--version"}) == std::string("bake ") + TRUSTNET_VERSION + "\n");
  CHECK(run_checked({(bin / "launch").string(), "--version"}) == std::string("launch ") + TRUSTNET_VERSION + "\n");

  // The recipes find their includes and overlays beside them.
  const fs::path recipes = in_root(install_paths::recipes());
  const fs::path key = dir.write("op.pub", test::operator_key + "\n");
  for (const char* name : {"node", "registry"}) {
    const ProcessResult plan =
        run_process({(bin / "bake").string(), "plan", name, "--recipes", recipes.string(), "--ssh-key", key.string()});
    CHECK_MESSAGE(plan.exit_status == 0, plan.err);
  }
  // Every overlay file, byte for byte and with its mode (the first-boot scripts stay executable).
  int overlay_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() / "overlays")) {
    if (!entry.is_regular_file()) continue;
    const fs::path installed = recipes.parent_path() / fs::relative(entry.path(), test::source_dir());
    CHECK_MESSAGE(read_text_file(installed) == read_text_file(entry.path()), installed);
    CHECK_MESSAGE(fs::status(installed).permissions() == entry.status().permissions(), installed);
    ++overlay_files;
  }
  CHECK(overlay_files >= 5);

  // The host configuration loads; without state: it uses the default state folder; its images are under the system
  // state.
  const fs::path config = in_root(install_paths::launch_config());
  const launcher::LaunchConfig loaded = launcher::load_launch_config(config);
  CHECK(loaded.instances.size() == 2);
  CHECK(loaded.instances.at(0).image == install_paths::system_state() / "images/node.qcow2");
  CHECK(read_text_file(config).find("\nstate:") == std::string::npos);
  CHECK(read_text_file(config).find('@') == std::string::npos);

  // The service files name the installed launcher and configuration.
  std::string unit, instance_unit;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().filename() == "trustnet.service") unit = read_text_file(entry.path());
    if (entry.path().filename() == "trustnet@.service") instance_unit = read_text_file(entry.path());
  }
  REQUIRE_FALSE(unit.empty());
  CHECK(unit.find("ExecStart=+" + (prefix / "bin/launch").string() + " units --start\n") != std::string::npos);
  CHECK(instance_unit.find("ExecStart=" + (prefix / "bin/launch").string() + " run %i ") != std::string::npos);
  CHECK(instance_unit.find("TRUSTNET_CONFIG=" + install_paths::launch_config().string()) != std::string::npos);
  CHECK(unit.find("TRUSTNET_CONFIG=" + install_paths::launch_config().string()) != std::string::npos);
  const fs::path openrc = in_root(install_paths::recipes().parent_path() / "openrc/trustnet");
  CHECK(read_text_file(openrc).find("launch_binary=\"" + (prefix / "bin/launch").string() + "\"") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(openrc.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);
  CHECK(fs::is_regular_file(in_root(install_paths::recipes().parent_path() / "openrc/trustnet.confd")));

  // Man pages (compressed) and the bash completions.
  const fs::path data = install_paths::recipes().parent_path().parent_path();
  for (const char* page :
       {"man1/bake.1.gz", "man1/launch.1.gz", "man5/trustnet-recipe.5.gz", "man5/trustnet-launch.yaml.5.gz"})
    CHECK_MESSAGE(run_process({"gzip", "-t", in_root(data / "man" / page).string()}).exit_status == 0, page);
  for (const char* program : {"bake", "launch"})
    CHECK(read_text_file(in_root(data / "bash-completion/completions" / program)) ==
          read_text_file(test::source_dir() / "docs/completion" / program));
}
