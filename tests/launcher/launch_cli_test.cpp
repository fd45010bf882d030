// `launch init` as operators run it.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/handles/unique_fd.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/process.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "launcher/qemu/disk_io.hpp"
#include "launcher/run/preflight.hpp"
#include "support/background_process.hpp"
#include "support/checkout_config.hpp"
#include "support/run_user.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "support/text_lines.hpp"

using namespace trustnet;
using launcher::choose_instance_disk_io;
using launcher::DiskIoChoice;
namespace fs = std::filesystem;

namespace {

ProcessResult launch(std::vector<std::string> args) {
  args.insert(args.begin(), TRUSTNET_LAUNCH_BINARY);
  return run_process(args);
}

// The config with every instance's forwarded host ports moved to free ones (tests run in parallel).
fs::path with_ports(const test::TempDir& dir, const fs::path& config, int first) {
  std::string text = read_text_file(config);
  for (const char* port : {"3222", "3223", "8053"})
    text = std::regex_replace(text, std::regex("host: " + std::string(port)), "host: " + std::to_string(first++));
  return dir.write("ports.yaml", text);
}

int free_port() {
  for (int port = 20000 + ::getpid() % 20000;; ++port)
    if (launcher::loopback_port_free(port) && launcher::loopback_port_free(port + 1) &&
        launcher::loopback_port_free(port + 2))
      return port;
}

}  // namespace

TEST_CASE(
    "launch init writes a seed per instance, shows the registry password once, and keeps identities on a second run") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  ProcessResult first = launch({"init", "--config", config.string()});
  REQUIRE(first.exit_status == 0);
  CHECK(first.out.find("node: new identity, seed " + (dir / "vms/node/seed.iso").string()) != std::string::npos);
  CHECK(first.out.find("registry: new identity") != std::string::npos);
  std::smatch password;
  REQUIRE(std::regex_search(
      first.out, password,
      std::regex("registry password of keeper, shown once \\(kept 0600 in .*\\): ([A-Za-z0-9]{24})\\n")));
  CHECK(read_text_file(dir / "vms/network/registry-password") == password[1].str() + "\n");

  ProcessResult second = launch({"init", "--config", config.string(), "--json"});
  REQUIRE(second.exit_status == 0);
  auto outcome = nlohmann::json::parse(second.out);
  CHECK(outcome["kept"] == nlohmann::json::array({"node", "registry"}));
  CHECK(outcome["created"].empty());
  CHECK_FALSE(outcome.contains("registry_password"));
  CHECK(second.out.find(password[1].str()) == std::string::npos);
}

TEST_CASE("launch answers --help, and a bad configuration gets one file:line:col line and exit 2") {
  CHECK(launch({"--help"}).exit_status == 0);
  ProcessResult help = launch({"init", "--help"});
  CHECK(help.exit_status == 0);
  CHECK(help.out.find("--rotate") != std::string::npos);
  test::TempDir dir;
  auto bad = dir.write("bad.yaml", "network:\n  chain_id: trustnet-1\n  color: blue\n");
  ProcessResult r = launch({"init", "--config", bad.string()});
  CHECK(r.exit_status == 2);
  CHECK(r.err == bad.string() + ":3:3: unknown key 'color' in network (expected one of: chain_id, domain)\n");
  CHECK(launch({"init", "--config", (dir / "missing.yaml").string()}).exit_status == 2);
}

TEST_CASE("launch init records each golden image's digest, and refuses a missing image") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  ProcessResult init = launch({"init", "--config", config.string(), "--json"});
  REQUIRE(init.exit_status == 0);
  const auto outcome = nlohmann::json::parse(init.out);
  CHECK(outcome["golden_images"]["node"]["sha256"] == sha256_file(dir / "out/node.qcow2"));
  CHECK(outcome["golden_images"]["node"]["changed"] == false);
  const auto record = nlohmann::json::parse(read_text_file(dir / "vms/node/golden.json"));
  CHECK(record["image"] == (dir / "out/node.qcow2").string());
  CHECK(read_text_file(dir / "vms/network/known_hosts")
            .find("fd10:1234::1,trustnet-node,trustnet-node.trustnet.local ssh-ed25519 ") == 0);

  fs::remove(dir / "out/registry.qcow2");
  ProcessResult missing = launch({"init", "--config", config.string()});
  CHECK(missing.exit_status == 2);
  CHECK(missing.err == config.string() + ":25:3: image " + (dir / "out/registry.qcow2").string() +
                           " of instance registry does not exist; bake it or fix instances.registry.image\n");
}

TEST_CASE(
    "launch all refuses, before starting anything: a changed or missing golden image, a busy port, no bridge, no "
    "QEMU") {
  test::TempDir dir;
  const fs::path config = with_ports(dir, test::checkout_config_in(dir), free_port());
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  auto start = [&](const std::string& which) { return launch({which, "--config", config.string(), "--timeout", "5"}); };

  // The bridge of the default configuration does not exist on this host.
  ProcessResult no_bridge = start("all");
  CHECK(no_bridge.exit_status == 1);
  CHECK(no_bridge.err == "launch: bridge trustnet0 does not exist; run `sudo launch network up` first\n");

  // An image that changed since init is refused, naming both digests.
  const std::string recorded = sha256_file(dir / "out/node.qcow2");
  run_checked({"qemu-img", "resize", "-q", (dir / "out/node.qcow2").string(), "2G"});
  ProcessResult changed = start("node");
  CHECK(changed.exit_status == 2);
  CHECK(changed.err ==
        fmt::format("launch: node: golden image {} has sha256 {}, but {} was recorded for it; if the new image is the "
                    "one you meant, `launch upgrade node` moves the instance onto it (its state disk stays)\n",
                    (dir / "out/node.qcow2").string(), sha256_file(dir / "out/node.qcow2"), recorded));
  fs::remove(dir / "out/node.qcow2");
  ProcessResult missing = start("node");
  CHECK(missing.exit_status == 2);
  CHECK(missing.err.find("image " + (dir / "out/node.qcow2").string() + " of instance node does not exist") !=
        std::string::npos);

  // A forwarded port held by another program.
  const int busy_port = std::stoi(
      std::regex_replace(read_text_file(config), std::regex("(.|\n)*host: ([0-9]+), guest: 8053(.|\n)*"), "$2"));
  UniqueFd holder(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(busy_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(holder.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(holder.get(), 1) == 0);
  ProcessResult busy = start("registry");
  CHECK(busy.exit_status == 1);
  CHECK(busy.err ==
        fmt::format(
            "launch: registry: port 127.0.0.1:{} (forwarded to guest port 8053) is already in use by another program\n",
            busy_port));

  ProcessResult no_qemu =
      run_process({"/usr/bin/env", "PATH=/nonexistent", TRUSTNET_LAUNCH_BINARY, "all", "--config", config.string()});
  CHECK(no_qemu.exit_status == 1);
  CHECK(no_qemu.err ==
        "launch: qemu-system-aarch64 is not installed (not found in PATH); install Debian's qemu-system-arm and "
        "qemu-utils\n");

  ProcessResult unknown = launch({"stop", "validator", "--config", config.string()});
  CHECK(unknown.exit_status == 2);
  CHECK(unknown.err ==
        "launch: " + config.string() + " has no instance 'validator' (it has: node, registry, or all)\n");
  // Nothing was started or made on the way.
  CHECK_FALSE(fs::exists(dir / "vms/node/disk.qcow2"));
  CHECK_FALSE(fs::exists(dir / "vms/registry/qemu.pid"));
}

TEST_CASE("launch all --dry-run prints every command it would run and runs none") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  ProcessResult plan = launch({"all", "--dry-run", "--accel", "tcg", "--config", config.string()});
  // It also says what the run would find missing on this host, and exits 1 then.
  if (fs::exists("/sys/class/net/trustnet0")) {
    CHECK(plan.exit_status == 0);
  } else {
    CHECK(plan.exit_status == 1);
    CHECK(plan.err ==
          "launch: the run would stop here: bridge trustnet0 does not exist; run `sudo launch network up` first\n");
  }
  const auto lines = test::lines_starting(plan.out, "");
  REQUIRE(lines.size() == 14);
  CHECK(lines[0] == "# node: verify sha256 of " + (dir / "out/node.qcow2").string() + " against " +
                        (dir / "vms/node/golden.json").string());
  const fs::path pin = dir / "vms/pinned" / (sha256_file(dir / "out/node.qcow2") + ".qcow2");
  CHECK(lines[1] == "# node: pin a copy of " + (dir / "out/node.qcow2").string() + " as " + pin.string() +
                        ", hashed as it is copied");
  CHECK(lines[2] == fmt::format("qemu-img create -q -f qcow2 -F qcow2 -b {} {} 53687091200", pin.string(),
                                (dir / "vms/node/disk.qcow2").string()));
  CHECK(lines[3] == "qemu-img create -q -f qcow2 " + (dir / "vms/node/state.qcow2").string() + " 21474836480");
  CHECK(lines[4] == "cp /usr/share/AAVMF/AAVMF_VARS.fd " + (dir / "vms/node/efivars.fd").string());
  CHECK(lines[5] ==
        "# node: disk I/O: the first of cache=none,aio=io_uring, cache=none,aio=native, "
        "cache=none,aio=threads, cache=writeback,aio=threads that qemu-io accepts on the new disk");
  CHECK(lines[6].starts_with("qemu-system-aarch64 -name node,process=trustnet-node "));
  CHECK(lines[6].find(" -accel tcg,thread=multi ") != std::string::npos);
  CHECK(lines[6].find(",cache=none,aio=io_uring,") != std::string::npos);
  CHECK(lines[6].find("virtio-blk-pci,drive=state,iothread=io0,serial=trustnet-state") != std::string::npos);
  CHECK(lines[13].find("hostfwd=tcp:127.0.0.1:3223-:22,hostfwd=tcp:127.0.0.1:8053-:8053") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "vms/node/disk.qcow2"));
  CHECK_FALSE(fs::exists(pin));
  CHECK_FALSE(fs::exists(dir / "vms/node/efivars.fd"));
  CHECK_FALSE(fs::exists(dir / "vms/node/state.qcow2"));

  // Once the disk exists, the dry run asks the host as the start does, and shows its answer.
  REQUIRE(
      launch({"export", "libvirt", "node", "--out", (dir / "xml").string(), "--config", config.string()}).exit_status ==
      0);
  const auto again = test::lines_starting(
      launch({"all", "--dry-run", "--accel", "tcg", "--config", config.string()}).out, "# node: disk");
  REQUIRE(again.size() == 1);
  const DiskIoChoice choice = choose_instance_disk_io("node", dir / "vms/node/disk.qcow2");
  CHECK(again[0] == fmt::format("# node: disk {}, which qemu-io accepts on {}", choice.summary(),
                                (dir / "vms/node/disk.qcow2").string()));
  CHECK(test::lines_starting(launch({"all", "--dry-run", "--accel", "tcg", "--config", config.string()}).out,
                             "# node: check that " + pin.string() + " still hashes to its name")
            .size() == 1);

  // What a start would refuse, the dry run refuses the same way, before the network's checks.
  fs::remove(dir / "vms/node/disk.json");
  ProcessResult refused = launch({"all", "--dry-run", "--accel", "tcg", "--config", config.string()});
  CHECK(refused.exit_status == 1);
  CHECK(refused.err == "launch: the run would stop here: node: " + (dir / "vms/node/disk.qcow2").string() +
                           " has no readable " + (dir / "vms/node/disk.json").string() +
                           "; remove the disk to start from the golden image again\n");
  CHECK(test::lines_starting(refused.out, "qemu-system-aarch64 -name registry,").size() == 1);
}

TEST_CASE("every launch subcommand answers --help, and launch without a command says what to do") {
  // Every subcommand CLI11 lists is in the summary at the top of --help, and answers --help.
  const ProcessResult top = launch({"--help"});
  REQUIRE(top.exit_status == 0);
  const std::string summary = top.out.substr(0, top.out.find("Usage:"));
  std::istringstream listed(top.out.substr(top.out.find("Subcommands:\n") + 13));
  size_t commands = 0;
  for (std::string line; std::getline(listed, line) && line.starts_with("  ");) {
    const std::string command = line.substr(2, line.find(' ', 2) - 2);
    CAPTURE(command);
    ++commands;
    CHECK(summary.find("  launch " + command + " ") != std::string::npos);
    ProcessResult help = launch({command, "--help"});
    CHECK(help.exit_status == 0);
    CHECK(help.out.find("--config") != std::string::npos);
  }
  CHECK(commands == 11);  // init pull upgrade run units network stop status logs ssh export
  CHECK(summary.find("  launch upgrade all|NAME ") != std::string::npos);
  // A mistake on the command line is one line, like every other error.
  ProcessResult unknown = launch({"status", "--colour"});
  CHECK(unknown.exit_status == 2);
  CHECK(unknown.err == "launch: The following argument was not expected: --colour (see --help)\n");
  ProcessResult bare = launch({});
  CHECK(bare.exit_status == 2);
  CHECK(bare.err == "launch: name what to start (all or an instance) or a command; see launch --help\n");
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  ProcessResult never = launch({"logs", "node", "--config", config.string()});
  CHECK(never.exit_status == 2);
  CHECK(never.err == "launch: there is no state folder " + (dir / "vms").string() +
                         ": `launch init` has not run with this configuration; run `sudo launch init` first\n");
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  ProcessResult no_log = launch({"logs", "node", "--config", config.string()});
  CHECK(no_log.exit_status == 1);
  CHECK(no_log.err == "launch: node has no console log yet (" + (dir / "vms/node/serial.log").string() +
                          "); it has not been started\n");
  ProcessResult status = launch({"status", "--config", config.string()});
  CHECK(status.exit_status == 0);
  CHECK(status.out ==
        "NAME      ADDRESS       PID  STATE    UPTIME  ANSWERED\n"
        "node      fd10:1234::1  -    stopped  -       -\n"
        "registry  fd10:1234::2  -    stopped  -       -\n");
}

TEST_CASE("launch ssh logs in as the operator and trusts only the host key that init made") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  fs::create_directories(dir / "vms");  // an empty state folder: init has not run
  ProcessResult before_init = launch({"ssh", "node", "--dry-run", "--config", config.string()});
  CHECK(before_init.exit_status == 2);
  CHECK(before_init.err ==
        "launch: " + (dir / "vms/network/known_hosts").string() + " is missing; run `launch init` first\n");
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  const std::string known_hosts = (dir / "vms/network/known_hosts").string();
  ProcessResult ula = launch({"ssh", "node", "--dry-run", "--config", config.string(), "--", "uptime"});
  CHECK(ula.out ==
        "ssh -o UserKnownHostsFile=" + known_hosts + " -o StrictHostKeyChecking=yes warden@fd10:1234::1 uptime\n");
  ProcessResult v4 = launch({"ssh", "registry", "--ipv4", "--dry-run", "--config", config.string()});
  CHECK(v4.out == "ssh -o UserKnownHostsFile=" + known_hosts +
                      " -o StrictHostKeyChecking=yes -o HostKeyAlias=fd10:1234::2 -p 3223 "
                      "keeper@127.0.0.1\n");
  ProcessResult with_key = launch({"ssh", "node", "-i", "/keys/operator", "--dry-run", "--config", config.string()});
  CHECK(with_key.out == "ssh -o UserKnownHostsFile=" + known_hosts +
                            " -o StrictHostKeyChecking=yes -i /keys/operator -o IdentitiesOnly=yes "
                            "warden@fd10:1234::1\n");
  // OpenSSH itself finds each instance's host key, the one on its seed disk, under its address.
  const std::string found = run_checked({"ssh-keygen", "-F", "fd10:1234::2", "-f", known_hosts});
  const auto instances = nlohmann::json::parse(read_text_file(dir / "vms/network/instances.json"))["instances"];
  CHECK(found.find(instances[1]["ssh_host_key"].get<std::string>().substr(0, 80)) != std::string::npos);
}

TEST_CASE("a stale pid file of a QEMU that is gone is cleaned up before a start") {
  test::TempDir dir;
  const fs::path config = with_ports(dir, test::checkout_config_in(dir), free_port());
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  std::ofstream(dir / "vms/node/qemu.pid") << "999999999\n";
  test::give_to_run_user(dir / "vms/node/qemu.pid");  // as QEMU, running as trustnet, would have left it
  ProcessResult start = launch({"node", "--config", config.string()});
  CHECK(start.err.find("launch node: removed the stale pid file of a QEMU that is gone\n") == 0);
  CHECK_FALSE(fs::exists(dir / "vms/node/qemu.pid"));
}

TEST_CASE(
    "the state folder is the run user's alone: made 0700, every file its own, and refused when others could write it "
    "or planted something in it") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  ProcessResult init = launch({"init", "--config", config.string()});
  INFO(init.err);
  REQUIRE(init.exit_status == 0);
  for (const char* folder : {"vms", "vms/network", "vms/node", "vms/registry"})
    CHECK_MESSAGE((fs::status(dir / folder).permissions() & fs::perms::all) == fs::perms(0700), folder);
  for (const char* secret : {"vms/node/seed.iso", "vms/node/keys.json", "vms/network/ca.key", "vms/registry/seed.iso"})
    CHECK_MESSAGE((fs::status(dir / secret).permissions() & fs::perms::all) == fs::perms(0600), secret);
  // Root ran init, but everything in the state folder is the account QEMU runs as.
  const uid_t run_uid = test::run_user().pw_uid;
  CHECK(fs::exists(dir / "vms/network/ca.key"));
  for (const auto& entry : fs::recursive_directory_iterator(dir / "vms")) {
    struct stat facts {};
    REQUIRE(::lstat(entry.path().c_str(), &facts) == 0);
    CHECK_MESSAGE(facts.st_uid == run_uid, entry.path());
  }

  // A folder in it that someone else made: its CA key could be theirs.
  fs::permissions(dir / "vms/network", fs::perms(0770));
  ProcessResult group_writable = launch({"init", "--config", config.string()});
  CHECK(group_writable.exit_status == 2);
  CHECK(group_writable.err ==
        "launch: " + (dir / "vms/network").string() +
            " is writable by its group or others (mode 0770); run chmod go-w on it (folders that hold instance "
            "secrets must be yours alone)\n");
  fs::permissions(dir / "vms/network", fs::perms(0700));
  REQUIRE(::chown((dir / "vms/node").c_str(), 65534, 65534) == 0);
  for (const char* command : {"init", "status"}) {
    ProcessResult foreign = launch({command, "--config", config.string()});
    CHECK(foreign.exit_status == 2);
    CHECK(foreign.err.rfind("launch: " + (dir / "vms/node").string() +
                                fmt::format(" is owned by uid 65534, not by you (uid {});", run_uid),
                            0) == 0);
  }
  test::give_to_run_user(dir / "vms/node");
  // A state folder root made and filled is not handed over silently.
  fs::create_directories(dir / "rooted/vms/node");
  ProcessResult rooted = launch({"status", "--config", config.string(), "--state", (dir / "rooted/vms").string()});
  CHECK(rooted.exit_status == 2);
  CHECK(rooted.err == "launch: the state folder " + (dir / "rooted/vms").string() +
                          " is root's, but launch keeps it and runs QEMU as user trustnet: give it to trustnet with "
                          "`chown -R trustnet: " +
                          (dir / "rooted/vms").string() + "` (the service's StateDirectory= does so by itself)\n");
  CHECK(launch({"status", "--config", config.string()}).exit_status == 0);

  // A state folder inside a folder anyone may write (and swap the state folder in): refused.
  fs::create_directories(dir / "shared");
  fs::permissions(dir / "shared", fs::perms(0777));
  const std::string text =
      std::regex_replace(read_text_file(config), std::regex("state: \\S+"), "state: " + (dir / "shared/vms").string());
  const fs::path shared_config = dir.write("shared.yaml", text);
  ProcessResult open_parent = launch({"init", "--config", shared_config.string()});
  CHECK(open_parent.exit_status == 2);
  CHECK(open_parent.err.find((dir / "shared").string() +
                             " (above the state folder) is writable by others (mode 0777) and not sticky") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "shared/vms"));  // refused before root made or handed over anything
  // ... but a sticky one, like /tmp, is fine.
  fs::permissions(dir / "shared", fs::perms(01777));
  CHECK(launch({"init", "--config", shared_config.string()}).exit_status == 0);
}

namespace {

// The state folder holds one consistent network: the CA key is the certificate's, every
// instance's certificate was signed by that CA, and no temporary file is left.
void check_consistent_state(const fs::path& vms) {
  const auto public_of = [](const std::vector<std::string>& argv) { return run_checked(argv); };
  CHECK(public_of({"openssl", "pkey", "-in", (vms / "network/ca.key").string(), "-pubout"}) ==
        public_of({"openssl", "x509", "-in", (vms / "network/ca.crt").string(), "-noout", "-pubkey"}));
  for (const char* name : {"node", "registry"}) {
    const auto keys = nlohmann::json::parse(read_text_file(vms / name / "keys.json"));
    test::TempDir scratch;
    const auto cert = scratch.write("cert.pem", keys["tls_certificate"].get<std::string>());
    ProcessResult verify =
        run_process({"openssl", "verify", "-CAfile", (vms / "network/ca.crt").string(), cert.string()});
    CHECK_MESSAGE(verify.exit_status == 0, name << ": " << verify.out << verify.err);
  }
  for (const auto& entry : fs::recursive_directory_iterator(vms))
    CHECK_MESSAGE(entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path());
}

}  // namespace

TEST_CASE(
    "one launch init at a time: a second one is refused with who holds the state folder, and concurrent ones never mix "
    "identities") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  {
    auto held = FileLock::try_acquire(dir / "vms/.lock", "launch init");
    REQUIRE(held);
    ProcessResult second = launch({"init", "--config", config.string()});
    CHECK(second.exit_status == 1);
    CHECK(second.err == fmt::format("launch: {} is busy: launch init (pid {}) is running; wait for it to finish\n",
                                    (dir / "vms").string(), ::getpid()));
  }
  for (int round = 0; round < 3; ++round) {
    test::BackgroundProcess a({TRUSTNET_LAUNCH_BINARY, "init", "--rotate", "--config", config.string()}, dir / "a.log");
    test::BackgroundProcess b({TRUSTNET_LAUNCH_BINARY, "init", "--rotate", "--config", config.string()}, dir / "b.log");
    const int first = a.wait(), second = b.wait();
    CHECK((first == 0 || second == 0));
    for (const auto* p : {&a, &b})
      if (p->output().find("is busy") != std::string::npos)
        CHECK(p->output().find("launch init (pid ") != std::string::npos);
    check_consistent_state(dir / "vms");
  }
}

TEST_CASE("SIGTERM or SIGINT during launch init leaves the previous identities whole and no temporary file behind") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  int interrupted = 0;
  for (int delay_ms : {5, 15, 30, 60, 120}) {
    for (int signo : {SIGTERM, SIGINT}) {
      const std::string before = read_text_file(dir / "vms/network/ca.crt");
      test::BackgroundProcess init({TRUSTNET_LAUNCH_BINARY, "init", "--rotate", "--config", config.string()},
                                   dir / "init.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      init.signal(signo);
      const int status = init.wait();
      CAPTURE(delay_ms);
      CAPTURE(init.output());
      CHECK((status == 0 || status == 128 + signo));
      if (status != 0) {
        ++interrupted;
        CHECK(read_text_file(dir / "vms/network/ca.crt") == before);  // nothing of the new identities was written
      }
      check_consistent_state(dir / "vms");
    }
  }
  MESSAGE(interrupted << " of 10 inits were interrupted before they wrote anything");
}

TEST_CASE(
    "a golden image with a backing file is refused at init and at start: its digest does not cover what it reads") {
  test::TempDir dir;
  const fs::path config = with_ports(dir, test::checkout_config_in(dir), free_port());
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  const fs::path node = dir / "out/node.qcow2";
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", (dir / "elsewhere.qcow2").string(), "1G"});
  fs::remove(node);
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", (dir / "elsewhere.qcow2").string(),
               node.string()});
  for (const char* command : {"init", "all"}) {
    CAPTURE(command);
    ProcessResult r = launch({command, "--config", config.string()});
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("golden image of node " + node.string() + " has a backing file (" +
                     (dir / "elsewhere.qcow2").string() + ")") != std::string::npos);
  }
}

TEST_CASE(
    "every file of the state folder is checked: a linked key file, a CA key open to others or someone else's, a "
    "TLS key that is not its certificate's") {
  test::TempDir dir;
  const fs::path config = test::checkout_config_in(dir);
  REQUIRE(launch({"init", "--config", config.string()}).exit_status == 0);
  const fs::path keys = dir / "vms/node/keys.json", ca_key = dir / "vms/network/ca.key";
  const std::string keys_text = read_text_file(keys), ca_text = read_text_file(ca_key);
  auto init_error = [&] {
    const ProcessResult r = launch({"init", "--config", config.string()});
    CHECK(r.exit_status != 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    return r.err;
  };

  // keys.json a link (to a copy another command could be made to write): refused, not followed.
  fs::rename(keys, dir / "elsewhere.json");
  fs::create_symlink(dir / "elsewhere.json", keys);
  CHECK(init_error().find(keys.string() + " is a symbolic link; remove it") != std::string::npos);
  fs::remove(keys);
  fs::rename(dir / "elsewhere.json", keys);

  fs::permissions(ca_key, fs::perms(0666));
  CHECK(init_error().find(ca_key.string() + " is writable by its group or others (mode 0666)") != std::string::npos);
  fs::permissions(ca_key, fs::perms(0644));
  CHECK(init_error().find(ca_key.string() + " is open to its group or others (mode 0644); a secret must be 0600") !=
        std::string::npos);
  fs::permissions(ca_key, fs::perms(0600));
  REQUIRE(::chown(ca_key.c_str(), 65534, 65534) == 0);
  CHECK(init_error().find(ca_key.string() + " is owned by uid 65534") != std::string::npos);
  test::give_to_run_user(ca_key);

  // Halves that disagree: the instance's TLS key replaced, the CA key replaced.
  nlohmann::json altered = nlohmann::json::parse(keys_text);
  altered["tls_key"] = nlohmann::json::parse(read_text_file(dir / "vms/registry/keys.json"))["tls_key"];
  std::ofstream(keys) << altered.dump(2);
  CHECK(init_error().find(keys.string() +
                          ": not a TrustNet instance key file (tls_certificate and tls_key: the private key is not "
                          "the certificate's)") != std::string::npos);
  std::ofstream(keys) << keys_text;
  std::ofstream(ca_key) << altered["tls_key"].get<std::string>();
  CHECK(init_error().find(ca_key.string() + " and ca.crt do not make a certificate authority (the private key is "
                                            "not the certificate's)") != std::string::npos);
  std::ofstream(ca_key) << ca_text;
  CHECK(launch({"init", "--config", config.string()}).exit_status == 0);
  CHECK(read_text_file(keys) == keys_text);
}
